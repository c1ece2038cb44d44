package org.calico.vision;

import org.bytedeco.pytorch.Tensor;
import org.calico.nn.Linear;
import org.calico.nn.Module;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;

/**
 * The ViT MLP of EVA ({@code eva_vit.py::Mlp}) and DINOv2 ({@code layers/mlp.py::Mlp}): {@code fc2(gelu(fc1(x)))} with
 * exact erf GELU. Parameters {@code fc1.{weight [H, C], bias}}, {@code fc2.{weight [C, H], bias}}.
 * forward: x [..., C] -> [..., C].
 */
public final class VitMlp extends Module {
    public final Linear fc1, fc2;

    public VitMlp(int width, int hidden, DType dtype, Dev dev) {
        super(dtype, dev);
        fc1 = child("fc1", new Linear(width, hidden, true, dtype, dev));
        fc2 = child("fc2", new Linear(hidden, width, true, dtype, dev));
    }

    public Tensor forward(Tensor x) {
        requireReady();
        return fc2.forward(T.gelu(fc1.forward(x)));
    }
}
