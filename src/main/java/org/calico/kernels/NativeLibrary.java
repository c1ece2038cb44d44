package org.calico.kernels;

/**
 * Loads CALICO's kernel library once and answers what it can do. Loading never crashes the JVM: where the library
 * is missing for this platform, {@link #available()} is false and {@link #loadError()} says why; where CUDA is not
 * compiled in or no device/driver exists, {@link #cudaDeviceCount()} is 0 and {@link #cudaStatus()} explains.
 */
public final class NativeLibrary {
    private static final Throwable LOAD_ERROR;

    static {
        Throwable err = null;
        try {
            NativeKernels.calico_cuda_compiled();
        } catch (Throwable t) {
            err = t;
        }
        LOAD_ERROR = err;
    }

    private NativeLibrary() {}

    public static boolean available() { return LOAD_ERROR == null; }

    public static String loadError() { return LOAD_ERROR == null ? "" : String.valueOf(LOAD_ERROR); }

    /** Throws a clear exception when the native library could not be loaded. */
    public static void require() {
        if (LOAD_ERROR != null)
            throw new UnsupportedOperationException("CALICO native kernels are not available on this platform: " + LOAD_ERROR
                    + " (use -Dcalico.kernels=torch)", LOAD_ERROR);
    }

    public static String buildInfo() { return available() ? NativeKernels.calico_build_info().getString() : "not loaded: " + loadError(); }

    public static boolean cudaCompiled() { return available() && NativeKernels.calico_cuda_compiled() == 1; }

    public static int cudaDeviceCount() { return available() ? NativeKernels.calico_cuda_device_count() : 0; }

    private static volatile int cudaDevicesCached = -1;

    /** CUDA kernels compiled in and at least one device visible (probed once per process). */
    public static boolean cudaUsable() {
        if (!cudaCompiled()) return false;
        int n = cudaDevicesCached;
        if (n < 0) cudaDevicesCached = n = cudaDeviceCount();
        return n > 0;
    }

    public static String cudaStatus() { return available() ? NativeKernels.calico_cuda_status().getString() : "native library not loaded"; }

    private static volatile Boolean emulatedCuda;

    /**
     * Developer check of the Java side's CUDA paths without a GPU: with {@code -Dcalico.kernels.emulatedCuda=true}
     * and the CPU-emulated kernel library loaded in place of the real one (target/native/cuda-emu, see
     * CalicoCudaEmu.cmake and CudaEmulationJavaTest), CPU tensors take the CUDA path (device code 1, the CUDA
     * kernels emulated on the CPU, the CUDA dispatch rules). Off otherwise; asking for it with the real library is an
     * error, so it cannot silently change a production run.
     */
    public static boolean emulatedCuda() {
        Boolean e = emulatedCuda;
        if (e == null) {
            boolean asked = Boolean.getBoolean("calico.kernels.emulatedCuda");
            if (asked && !(available() && cudaStatus().contains("EMULATED")))
                throw new KernelException("-Dcalico.kernels.emulatedCuda=true needs the CPU-emulated kernel library "
                        + "(target/native/cuda-emu/libcalico_kernels.so first on java.library.path with "
                        + "-Dorg.bytedeco.javacpp.pathsFirst=true); loaded: " + buildInfo() + " | " + cudaStatus());
            emulatedCuda = e = asked;
        }
        return e;
    }

    /** Whether the kernels for t run their CUDA path: t is a CUDA tensor, or {@link #emulatedCuda()} is on. */
    static boolean onCuda(org.bytedeco.pytorch.Tensor t) { return t.is_cuda() || emulatedCuda(); }

    /** Throws {@link KernelException} with the native message when {@code rc} is an error code. */
    static void check(int rc, String op) {
        if (rc == 0) return;
        String msg = NativeKernels.calico_last_error().getString();
        String kind = switch (rc) {
            case -1 -> "invalid argument";
            case -2 -> "no CUDA";
            case -3 -> "CUDA error";
            case -4 -> "unsupported";
            default -> "error " + rc;
        };
        throw new KernelException(op + " failed (" + kind + "): " + msg);
    }
}
