package org.calico.model;

import org.bytedeco.pytorch.Tensor;
import org.calico.nn.Linear;
import org.calico.nn.Module;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;

/**
 * f_segmentation, the [SEG] projection of LISA / GLaMM ({@code text_hidden_fcs = ModuleList([Sequential(Linear(D, D),
 * ReLU, Linear(D, out), Dropout(0))])}, spec §2.1): the final-norm hidden state before each [SEG] -> SAM's prompt
 * width. Parameter names as upstream: {@code 0.0.{weight,bias}} ([D, D], [D]) and {@code 0.2.{weight,bias}}
 * ([out, D], [out]). forward: h [..., D] -> [..., out].
 */
public final class TextHiddenFcs extends Module {
    public final Linear fc1, fc2;

    public TextHiddenFcs(long hidden, long out, DType dtype, Dev dev) {
        super(dtype, dev);
        fc1 = child("0.0", new Linear(hidden, hidden, true, dtype, dev));
        fc2 = child("0.2", new Linear(hidden, out, true, dtype, dev));
    }

    public Tensor forward(Tensor h) {
        requireReady();
        return fc2.forward(T.relu(fc1.forward(h)));
    }
}
