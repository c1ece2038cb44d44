package org.calico.runtime;

import java.util.concurrent.atomic.AtomicBoolean;

import org.bytedeco.javacpp.Loader;

/**
 * Process-wide start-up of the native runtime: LibTorch (JavaCPP presets), OpenBLAS and CALICO's own
 * kernel library. Call {@link #init()} before touching any {@code org.bytedeco.pytorch} class; every entry
 * point of this project does.
 *
 * <p>What it does, in order:
 * <ol>
 *   <li>Disables JavaCPP's physical-memory watchdog ({@code org.bytedeco.javacpp.maxPhysicalBytes=0}) unless the
 *       user set it: LibTorch allocations are not tracked by JavaCPP, and a multi-GB model would otherwise make
 *       every small native allocation call {@code System.gc()} and finally throw {@code OutOfMemoryError}.</li>
 *   <li>Extracts and loads {@code libtorch_cpu.so} <em>before</em> {@code libtorch.so} (toolchain.md: where a system
 *       LibTorch is installed, the dynamic linker would otherwise bind the system copy and the JVM crashes).</li>
 *   <li>Sets the intra-op thread count for LibTorch/OpenMP and OpenBLAS from {@code -Dcalico.threads} or
 *       {@code CALICO_THREADS} (default: all available processors).</li>
 * </ol>
 */
public final class CalicoRuntime {
    private static final AtomicBoolean STARTED = new AtomicBoolean();
    private static volatile int threads;

    private CalicoRuntime() {}

    /** Idempotent, thread-safe start-up. */
    public static void init() {
        if (STARTED.get()) return;
        synchronized (CalicoRuntime.class) {
            if (STARTED.get()) return;
            if (System.getProperty("org.bytedeco.javacpp.maxPhysicalBytes") == null)
                System.setProperty("org.bytedeco.javacpp.maxPhysicalBytes", "0");
            if (System.getProperty("org.bytedeco.javacpp.maxBytes") == null)
                System.setProperty("org.bytedeco.javacpp.maxBytes", "0");
            preloadTorchCpu();
            Loader.load(org.bytedeco.pytorch.global.torch.class);
            STARTED.set(true); // before setThreads: the kernel library's own static init calls init() again
            setThreads(configuredThreads());
        }
    }

    private static void preloadTorchCpu() {
        String platform = Loader.getPlatform();
        if (!platform.startsWith("linux")) return;
        try {
            // Extracting libtorch_cpu.so (and its deps) into the JavaCPP cache before libtorch.so is loaded makes
            // the dynamic linker bind this copy through libtorch.so's $ORIGIN run path, never a system one.
            Loader.cacheResource(org.bytedeco.pytorch.Tensor.class, platform + "/libc10.so");
            Loader.cacheResource(org.bytedeco.pytorch.Tensor.class, platform + "/libgomp.so.1");
            Loader.cacheResource(org.bytedeco.pytorch.Tensor.class, platform + "/libtorch_cpu.so");
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot extract libtorch_cpu.so from the pytorch native jar: " + e.getMessage(), e);
        }
    }

    /** Thread count from {@code -Dcalico.threads} / {@code CALICO_THREADS}, else the available processors. */
    public static int configuredThreads() {
        String v = System.getProperty("calico.threads");
        if (v == null || v.isBlank()) v = System.getenv("CALICO_THREADS");
        if (v != null && !v.isBlank()) {
            try {
                int n = Integer.parseInt(v.trim());
                if (n >= 1) return n;
            } catch (NumberFormatException ignored) {
                // fall through to the error below
            }
            throw new IllegalArgumentException("calico.threads / CALICO_THREADS must be a positive integer, got '" + v + "'");
        }
        return Runtime.getRuntime().availableProcessors();
    }

    /** Sets LibTorch's intra-op threads (OpenMP) and OpenBLAS's own pool. */
    public static synchronized void setThreads(int n) {
        if (n < 1) throw new IllegalArgumentException("thread count must be >= 1, got " + n);
        org.bytedeco.pytorch.global.torch.set_num_threads(n);
        try {
            // the OpenBLAS preset exposes no setter; our library finds openblas_set_num_threads in the loaded libopenblas
            org.calico.kernels.NativeKernels.calico_set_blas_threads(n);
            org.calico.kernels.NativeKernels.calico_set_num_threads(n); // CALICO's own OpenMP kernel regions
        } catch (Throwable t) {
            // kernel library unavailable on this platform: LibTorch's own setting still applies (OPENBLAS_NUM_THREADS too)
        }
        threads = n;
    }

    /**
     * Applies the configured thread count to the calling thread. OpenMP's thread count is per thread: a thread the
     * JVM starts later runs LibTorch's and CALICO's OpenMP regions with the machine's core count unless it calls this
     * (LibTorch's own worker threads call {@code at::init_num_threads} the same way). Call it first in every
     * thread that runs tensor work, e.g. in an executor's thread factory.
     */
    public static void initThread() {
        init();
        org.bytedeco.pytorch.global.torch.init_num_threads();
        org.bytedeco.pytorch.global.torch.set_num_threads(threads);
        try {
            org.calico.kernels.NativeKernels.calico_set_num_threads(threads);
        } catch (Throwable t) {
            // kernel library unavailable: LibTorch's setting applies
        }
    }

    public static int threads() {
        init();
        return threads;
    }

    /** Resident set size of this process in bytes (Linux /proc; -1 elsewhere). */
    public static long residentBytes() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    String[] parts = line.trim().split("\\s+");
                    return Long.parseLong(parts[1]) * 1024L;
                }
            }
        } catch (Exception ignored) {
            // not Linux
        }
        return -1;
    }
}
