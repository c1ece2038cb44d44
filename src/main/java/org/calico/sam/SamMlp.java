package org.calico.sam;

import java.util.ArrayList;
import java.util.List;

import org.bytedeco.pytorch.Tensor;
import org.calico.nn.Linear;
import org.calico.nn.Module;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;

/**
 * The mask decoder's {@code MLP} ({@code segment_anything/modeling/mask_decoder.py}): {@code numLayers} Linear layers
 * {@code layers.0 .. layers.{n-1}} with ReLU between them (none after the last; no sigmoid, as SAM uses it).
 * forward: x [..., in] -> [..., out].
 */
public final class SamMlp extends Module {
    public final List<Linear> layers;

    public SamMlp(int in, int hidden, int out, int numLayers, DType dtype, Dev dev) {
        super(dtype, dev);
        List<Linear> ls = new ArrayList<>();
        for (int i = 0; i < numLayers; i++) {
            int a = i == 0 ? in : hidden, b = i == numLayers - 1 ? out : hidden;
            ls.add(new Linear(a, b, true, dtype, dev));
        }
        this.layers = children("layers", ls);
    }

    public Tensor forward(Tensor x) {
        requireReady();
        for (int i = 0; i < layers.size(); i++) {
            x = layers.get(i).forward(x);
            if (i < layers.size() - 1) x = T.relu(x);
        }
        return x;
    }
}
