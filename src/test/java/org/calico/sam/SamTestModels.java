package org.calico.sam;

import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;
import org.calico.io.StateDict;
import org.calico.nn.KeyMapping;
import org.calico.nn.Param;

/** Small SAM configurations and checkpoint-format helpers shared by the SAM tests. */
final class SamTestModels {
    private SamTestModels() {}

    /** 64x64 input, patch 8 (8x8 grid), D 32, 2 blocks (window 4 + global), 2 heads; decoder dim 32, 4 heads, mlp 64. */
    static SamConfig tiny() {
        return SamConfig.small(64, 8, 32, 2, 2, 3, List.of(1), 32, 64, 4);
    }

    /** The small from-scratch config of the CALICO training plan: 128x128, patch 8, D 64, depth 2, window 4, out 64. */
    static SamConfig small128() {
        return SamConfig.small(128, 8, 64, 2, 4, 4, List.of(1), 64, 128, 4);
    }

    /**
     * The model's state dict renamed to a checkpoint format: each module key is written under the key the mapping reads
     * it from (test helper for the mapping tables), plus {@code extra} tensors.
     */
    static StateDict renamed(SamModel m, KeyMapping mapping, Map<String, Tensor> extra) {
        StateDict sd = new StateDict("renamed via " + mapping.name());
        for (Map.Entry<String, Param> e : m.namedParams().entrySet()) {
            KeyMapping.Resolution r = mapping.resolve(e.getKey());
            if (r.kind() != KeyMapping.Resolution.Kind.COPY) throw new IllegalStateException("unexpected fuse/slice for " + e.getKey());
            sd.put(r.sourceKeys().get(0), e.getValue().t().detach().clone());
        }
        extra.forEach(sd::put);
        return sd;
    }
}
