package org.calico.nn;

import org.bytedeco.pytorch.Tensor;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;

/**
 * nn.Embedding. Parameter {@code weight [num, dim]}. forward: ids I64 [...] -> [..., dim].
 */
public class Embedding extends Module {
    public final long num, dim;
    public final Param weight;

    public Embedding(long num, long dim, DType dtype, Dev dev) {
        super(dtype, dev);
        this.num = num;
        this.dim = dim;
        this.weight = param("weight", Init.normal(1.0), num, dim);
    }

    public Tensor forward(Tensor ids) {
        requireReady();
        return T.embedding(weight.t(), ids);
    }
}
