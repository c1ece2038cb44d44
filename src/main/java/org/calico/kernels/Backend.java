package org.calico.kernels;

import java.util.Locale;

/**
 * Which implementation runs a custom op: {@link #TORCH} (LibTorch composite; reference and autograd path) or
 * {@link #NATIVE} (CALICO's own C++ CPU / CUDA kernel). Chosen globally with {@code -Dcalico.kernels=torch|native}
 * and per op with {@code -Dcalico.kernels.<op>=torch|native}; default {@code native} where the library loaded.
 * Native kernels do not record autograd: where gradients are needed the composite runs.
 */
public enum Backend {
    TORCH, NATIVE;

    public static Backend parse(String s) {
        return switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "torch", "libtorch", "composite", "reference" -> TORCH;
            case "native", "cpp", "cuda" -> NATIVE;
            default -> throw new IllegalArgumentException("unknown kernel backend '" + s + "' (use torch or native)");
        };
    }

    /** Configured backend for {@code op} ({@code -Dcalico.kernels.<op>}, then {@code -Dcalico.kernels}, then default). */
    public static Backend configured(String op) {
        String v = System.getProperty("calico.kernels." + op);
        if (v == null) v = System.getProperty("calico.kernels");
        if (v == null) v = System.getenv("CALICO_KERNELS");
        if (v == null || v.isBlank()) return NativeLibrary.available() ? NATIVE : TORCH;
        Backend b = parse(v);
        if (b == NATIVE) NativeLibrary.require();
        return b;
    }

    /** The explicitly configured backend string for {@code op} (property, then global property, then env), or null. */
    static String explicit(String op) {
        String v = System.getProperty("calico.kernels." + op);
        if (v == null) v = System.getProperty("calico.kernels");
        if (v == null) v = System.getenv("CALICO_KERNELS");
        return v == null || v.isBlank() ? null : v;
    }

    /**
     * Backend for {@code op} on tensors on the CPU or a CUDA device: the configured one (native configured but not
     * usable there -> KernelException naming the reason), else native where its kernels exist for that device
     * (library loaded; for CUDA: CUDA kernels compiled in and a device visible), else torch.
     */
    public static Backend forDevice(String op, boolean cuda) {
        String v = explicit(op);
        if (v != null) {
            Backend b = parse(v);
            if (b == NATIVE) {
                if (!NativeLibrary.available())
                    throw new KernelException(op + ": native kernels configured but the library is not available: " + NativeLibrary.loadError());
                if (cuda && !NativeLibrary.cudaUsable())
                    throw new KernelException(op + ": native kernels configured for a CUDA tensor but " + NativeLibrary.cudaStatus()
                            + " (use -Dcalico.kernels." + op + "=torch)");
            }
            return b;
        }
        if (!NativeLibrary.available()) return TORCH;
        if (cuda) return NativeLibrary.cudaUsable() ? NATIVE : TORCH;
        return NATIVE;
    }

    @Override public String toString() { return name().toLowerCase(Locale.ROOT); }
}
