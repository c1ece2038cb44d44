package org.calico.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.calico.io.StateDict;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;
import org.junit.jupiter.api.Test;

class ModuleLoadTest {
    /** attn.qkv [3C, C] fused + proj, like a ViT attention block. */
    static final class Block extends Module {
        final Linear qkv, proj;
        final LayerNorm norm;
        final Param scale;

        Block(long c, DType dt) {
            super(dt, Dev.CPU);
            norm = child("norm", new LayerNorm(c, 1e-6, dt, Dev.CPU));
            qkv = child("attn.qkv", new Linear(c, 3 * c, true, dt, Dev.CPU));
            proj = child("attn.proj", new Linear(c, c, false, dt, Dev.CPU));
            scale = buffer("steps", DType.I64, null, 1);
        }

        Tensor forward(Tensor x) {
            requireReady();
            return proj.forward(qkv.forward(norm.forward(x)).narrow(-1, 0, norm.dim));
        }
    }

    static StateDict hfStyle(long c, float base) {
        StateDict sd = new StateDict("hf");
        try (PointerScope s = new PointerScope()) {
            sd.put("layer.norm.weight", T.full(DType.F32, Dev.CPU, base, c));
            sd.put("layer.norm.bias", T.full(DType.F32, Dev.CPU, 0, c));
            for (String n : List.of("query", "key", "value")) {
                sd.put("layer.attention." + n + ".weight", T.full(DType.F32, Dev.CPU, n.equals("key") ? 2 : 1, c, c));
                sd.put("layer.attention." + n + ".bias", T.full(DType.F32, Dev.CPU, n.equals("value") ? 3 : 0, c));
            }
            sd.put("layer.attention.output.weight", T.full(DType.F32, Dev.CPU, 0.5, c, c));
            sd.put("layer.steps", T.fromLongs(new long[] {7}, 1));
            sd.put("rotary.inv_freq", T.zeros(4));
        }
        return sd;
    }

    static final KeyMapping HF = KeyMapping.builder("test-hf")
            .fuse("attn\\.qkv\\.(weight|bias)", 0, "attn.q.$1", "attn.k.$1", "attn.v.$1")
            .rename("^attn\\.q\\.", "attention.query.")
            .rename("^attn\\.k\\.", "attention.key.")
            .rename("^attn\\.v\\.", "attention.value.")
            .rename("^attn\\.proj\\.", "attention.output.")
            .prefix("layer.")
            .ignore(".*inv_freq")
            .build();

    @Test
    void fusedMappingLoadsAndConvertsDtype() {
        try (PointerScope s = new PointerScope(); Block b = new Block(4, DType.BF16); StateDict sd = hfStyle(4, 1.5f)) {
            assertFalse(b.isReady());
            LoadReport r = b.load(sd, HF);
            assertEquals(6, r.loaded().size());
            assertEquals(List.of("rotary.inv_freq"), r.ignored());
            Tensor qkv = b.qkv.weight.t();
            assertEquals(DType.BF16, T.dtype(qkv));
            assertArrayEquals(new long[] {12, 4}, T.shape(qkv));
            float[] w = T.toFloats(qkv);
            assertEquals(1f, w[0]);
            assertEquals(2f, w[4 * 4]);
            assertEquals(3f, T.toFloats(b.qkv.bias.t())[9]);
            assertEquals(7L, T.toLongs(b.scale.t())[0]);
            assertEquals(DType.I64, T.dtype(b.scale.t()));
            assertTrue(b.isReady() && b.norm.isReady());
        }
    }

    @Test
    void missingUnexpectedAndMismatchedKeysAreReportedAndNothingLoads() {
        try (PointerScope s = new PointerScope(); Block b = new Block(4, DType.F32); StateDict sd = hfStyle(4, 1f)) {
            sd.remove("layer.attention.key.bias");
            sd.put("layer.extra", T.zeros(1));
            sd.put("layer.norm.weight", T.zeros(5));
            ModuleLoadException e = assertThrows(ModuleLoadException.class, () -> b.load(sd, HF));
            LoadReport r = e.report();
            assertEquals(List.of("attn.qkv.bias (looked for layer.attention.key.bias)"), r.missing());
            assertEquals(List.of("layer.extra"), r.unexpected());
            assertEquals(1, r.shapeMismatches().size());
            assertTrue(r.shapeMismatches().get(0).startsWith("norm.weight: model [4], checkpoint [5]"), r.shapeMismatches().get(0));
            assertTrue(e.getMessage().contains("nothing was loaded"));
            // nothing was copied, and the module refuses to run
            assertEquals(0f, T.toFloats(b.qkv.weight.t())[0]);
            assertFalse(b.isReady());
            ModuleNotReadyException nr = assertThrows(ModuleNotReadyException.class, () -> b.forward(T.zeros(1, 4)));
            assertTrue(nr.getMessage().contains("not been loaded"));
        }
    }

    @Test
    void unexpectedKeysCanBeAllowedAndOptionalKeysDefault() {
        KeyMapping m = HF.toBuilder().optional("attn\\.proj\\..*").build();
        try (PointerScope s = new PointerScope(); Block b = new Block(4, DType.F32); StateDict sd = hfStyle(4, 1f)) {
            sd.remove("layer.attention.output.weight");
            sd.put("layer.extra", T.zeros(1));
            LoadReport r = b.load(sd, m, true);
            assertEquals(List.of("attn.proj.weight"), r.defaulted());
            assertEquals(List.of("layer.extra"), r.unexpected());
            assertTrue(b.isReady());
            // default init of a 2-D weight is N(0, 1/fan_in): not all zeros
            float[] w = T.toFloats(b.proj.weight.t());
            double ss = 0;
            for (float v : w) ss += v * v;
            assertTrue(ss > 0);
        }
    }

    @Test
    void sliceMappingAndRandomInitAndConversion() {
        KeyMapping split = KeyMapping.builder("split").slice("q\\.weight", "qkv.weight", 0, 0, 3)
                .slice("v\\.weight", "qkv.weight", 0, 2, 3).build();
        final class Two extends Module {
            final Param q = param("q.weight", 2, 2), v = param("v.weight", 2, 2);
        }
        try (PointerScope s = new PointerScope(); Two m = new Two(); StateDict sd = new StateDict()) {
            sd.put("qkv.weight", T.fromFloats(new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 6, 2));
            m.load(sd, split);
            assertArrayEquals(new float[] {0, 1, 2, 3}, T.toFloats(m.q.t()));
            assertArrayEquals(new float[] {8, 9, 10, 11}, T.toFloats(m.v.t()));
            m.to(Dev.CPU, DType.F16);
            assertEquals(DType.F16, T.dtype(m.v.t()));
            assertEquals(DType.F16, m.dtype());
            m.initRandom(5);
            float[] a = T.toFloats(m.q.t());
            m.initRandom(5);
            assertArrayEquals(a, T.toFloats(m.q.t()), "seeded init is reproducible");
            assertEquals(8, m.parameterCount());
        }
    }
}
