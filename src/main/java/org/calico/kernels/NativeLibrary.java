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
