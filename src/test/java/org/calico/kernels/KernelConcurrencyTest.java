package org.calico.kernels;

import static org.calico.kernels.KernelTestSupport.linear;
import static org.calico.kernels.KernelTestSupport.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.calico.runtime.CalicoRuntime;
import org.calico.tensor.DType;
import org.calico.tensor.T;
import org.junit.jupiter.api.Test;

/**
 * The native kernels keep per-thread scratch (packed operands, score blocks, softmax rows): several Java threads
 * calling them at once must each get exactly what a lone call gives. Three threads run the folded Q-Former, CEM
 * (GEMM tiles + tile attention) and the fused CAM reintegration on their own inputs, 6 rounds each, and every
 * result must equal, bit for bit, the one computed before on a single thread.
 */
class KernelConcurrencyTest {
    private record Work(Tensor[] expected, java.util.function.Supplier<Tensor[]> run) {}

    private static Work work(int seed, DType dt) {
        T.seed(seed);
        Tensor[] q = linear(dt, 96, 96), k = linear(dt, 96, 80), v = linear(dt, 96, 80);
        QFormerCrossAttentionOp.Weights qw = new QFormerCrossAttentionOp.Weights(q[0], q[1], k[0], k[1], v[0], v[1], 4);
        Tensor hidden = randn(dt, 1, 2, 8, 96), enc = randn(dt, 1, 2, 70, 80);
        Tensor[] cq = linear(dt, 64, 64), ck = linear(dt, 64, 48), cv = linear(dt, 64, 48), co = linear(dt, 64, 64);
        CemFusionOp.Weights cw = new CemFusionOp.Weights(randn(dt, 0.1, 64).add(T.s(1)), randn(dt, 0.05, 64),
                randn(dt, 0.1, 48).add(T.s(1)), randn(dt, 0.05, 48), cq[0], cq[1], ck[0], ck[1], cv[0], cv[1], co[0], co[1], 2);
        Tensor x = randn(dt, 1, 2, 40, 64), sem = randn(dt, 1, 2, 36, 48);
        Tensor[] r = linear(dt, 64, 96);
        CamInjectionOp.ReintegrateWeights rw = new CamInjectionOp.ReintegrateWeights(r[0], r[1]);
        Tensor h = randn(dt, 1, 2, 50, 64), xi = randn(dt, 1, 3, 8, 96);
        long[] rows = {0, 0, 1}, starts = {2, 20, 5};
        NativeQFormerCrossAttention qop = new NativeQFormerCrossAttention();
        NativeCemFusion cop = new NativeCemFusion();
        NativeCamInjection iop = new NativeCamInjection();
        java.util.function.Supplier<Tensor[]> run = () -> new Tensor[] {qop.forward(hidden, enc, qw), cop.forward(x, sem, cw),
                iop.reintegrate(h, rows, starts, xi, rw)};
        return new Work(run.get(), run);
    }

    @Test
    void concurrentCallsGiveTheSingleThreadResults() throws Exception {
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            List<Work> works = new ArrayList<>();
            for (int i = 0; i < 3; i++) works.add(work(70 + i, i == 1 ? DType.BF16 : DType.F32));
            ExecutorService pool = Executors.newFixedThreadPool(3);
            try {
                List<Future<Double>> futures = new ArrayList<>();
                for (Work w : works)
                    futures.add(pool.submit(() -> {
                        CalicoRuntime.initThread();
                        double worst = 0;
                        try (PointerScope s = new PointerScope(); NoGradGuard ng = new NoGradGuard()) {
                            for (int round = 0; round < 6; round++) {
                                Tensor[] got = w.run().get();
                                for (int j = 0; j < got.length; j++) worst = Math.max(worst, T.maxAbsDiff(w.expected()[j], got[j]));
                            }
                        }
                        return worst;
                    }));
                for (Future<Double> f : futures) assertEquals(0.0, f.get(), "a concurrent call differs from the lone call");
            } finally {
                pool.shutdown();
            }
        }
    }
}
