package org.calico.sam;

import org.bytedeco.pytorch.Tensor;
import org.calico.nn.Linear;
import org.calico.nn.Module;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;

/**
 * SAM's {@code MLPBlock} ({@code modeling/common.py}): {@code lin2(act(lin1(x)))}. The image encoder uses exact-erf GELU,
 * the two-way transformer ReLU. forward: x [..., D] -> [..., D].
 */
public final class MlpBlock extends Module {
    public final Linear lin1, lin2;
    public final boolean gelu;

    public MlpBlock(long dim, long hidden, boolean gelu, DType dtype, Dev dev) {
        super(dtype, dev);
        this.lin1 = child("lin1", new Linear(dim, hidden, true, dtype, dev));
        this.lin2 = child("lin2", new Linear(hidden, dim, true, dtype, dev));
        this.gelu = gelu;
    }

    public Tensor forward(Tensor x) {
        requireReady();
        Tensor h = lin1.forward(x);
        return lin2.forward(gelu ? T.gelu(h) : T.relu(h));
    }
}
