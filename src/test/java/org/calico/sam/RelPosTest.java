package org.calico.sam;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.calico.io.SafeTensorsFile;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;
import org.junit.jupiter.api.Test;

/** get_rel_pos (interpolated tables, q != k) against the upstream formula; window padding (64 -> 70 style). */
class RelPosTest {
    @Test
    void relPosMatchesUpstreamIncludingInterpolationAndUnequalSizes() throws Exception {
        Path f = Path.of(getClass().getResource("/org/calico/sam/rel_pos.safetensors").toURI());
        long[][] qk = {{5, 5}, {3, 3}, {3, 6}, {6, 3}};
        String[] names = {"interp", "shrink", "qk", "kq"};
        try (SafeTensorsFile st = SafeTensorsFile.open(f); PointerScope s = new PointerScope()) {
            for (int i = 0; i < names.length; i++) {
                Tensor got = RelPosAttention.relPos(qk[i][0], qk[i][1], st.load(names[i] + ".table"));
                Tensor exp = st.load(names[i] + ".out");
                assertArrayEquals(T.shape(exp), T.shape(got), names[i]);
                assertTrue(T.maxAbsDiff(exp, got) < 1e-6, names[i] + " " + T.maxAbsDiff(exp, got));
            }
        }
    }

    @Test
    void rowChunkedGlobalAttentionEqualsTheWholeBias() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard();
             RelPosAttention a = new RelPosAttention(32, 4, true, true, 12, DType.F32, Dev.CPU)) {
            a.initRandom(3);
            a.relPosH.t().normal_(0.0, 0.3, new org.bytedeco.pytorch.GeneratorOptional());
            a.relPosW.t().normal_(0.0, 0.3, new org.bytedeco.pytorch.GeneratorOptional());
            T.seed(4);
            Tensor q = T.randn(DType.F32, Dev.CPU, 2, 4, 144, 8), k = T.randn(DType.F32, Dev.CPU, 2, 4, 144, 8), v = T.randn(DType.F32, Dev.CPU, 2, 4, 144, 8);
            Tensor whole = a.attend(q, k, v, a.relPosBias(q, 12, 12));
            long rowBytes = 2L * 4 * 12 * 144 * 4;
            for (long chunkRows : new long[] {1, 5, 12}) {   // 5 does not divide 12: a short last block
                Tensor c = a.attendRelPos(q, k, v, 12, 12, 0, chunkRows * rowBytes);
                assertTrue(T.maxAbsDiff(whole, c) < 1e-6, chunkRows + " rows: " + T.maxAbsDiff(whole, c));
            }
        }
    }

    @Test
    void windowPaddingPartitionsAndRestoresTheGrid() {
        try (PointerScope s = new PointerScope()) {
            T.seed(2);
            Tensor x = T.randn(DType.F32, Dev.CPU, 2, 9, 11, 3);
            Tensor w = EncoderBlock.windowPartition(x, 4);                    // 9 -> 12, 11 -> 12: 3 x 3 windows per image
            assertArrayEquals(new long[] {18, 4, 4, 3}, T.shape(w));
            // the last window row is the zero padding below row 8
            assertEquals(0.0, T.maxAbsDiff(w.select(0, 8).narrow(0, 1, 3), T.zeros(3, 4, 3)));
            assertEquals(0.0, T.maxAbsDiff(EncoderBlock.windowUnpartition(w, 4, 9, 11), x));
        }
    }

    @Test
    void paddedWindowBlocksKeepTheGridShape() {
        // grid 10 with window 4 -> padded to 12 (as 64 -> 70 with window 14), cropped back to 10 after the attention
        ImageEncoderConfig c = new ImageEncoderConfig(80, 8, 3, 16, 1, 2, 2.0, 8, true, true, true, 4, java.util.List.of(), 1e-6);
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard(); ImageEncoderViT enc = new ImageEncoderViT(c)) {
            enc.initRandom(9);
            Tensor y = enc.forward(T.randn(DType.F32, Dev.CPU, 1, 3, 80, 80));
            assertArrayEquals(new long[] {1, 8, 10, 10}, T.shape(y));
            assertTrue(T.toFloats(y.abs().sum())[0] > 0);
        }
    }
}
