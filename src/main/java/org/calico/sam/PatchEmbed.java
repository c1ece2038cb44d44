package org.calico.sam;

import org.bytedeco.pytorch.Tensor;
import org.calico.nn.Conv2d;
import org.calico.nn.Module;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;

/**
 * SAM's {@code PatchEmbed} ({@code modeling/image_encoder.py}): Conv2d(in, D, k=p, s=p) followed by a permute to NHWC.
 * forward: x [B, 3, S, S] -> [B, S/p, S/p, D].
 */
public final class PatchEmbed extends Module {
    public final Conv2d proj;

    public PatchEmbed(int inChans, int embedDim, int patch, DType dtype, Dev dev) {
        super(dtype, dev);
        this.proj = child("proj", new Conv2d(inChans, embedDim, patch, patch, 0, true, dtype, dev));
    }

    public Tensor forward(Tensor x) {
        requireReady();
        return proj.forward(x).permute(0, 2, 3, 1);
    }
}
