package org.calico.tensor;

import org.bytedeco.pytorch.Device;

/**
 * Where tensors live: the CPU or a CUDA device index. Parsed from "cpu", "cuda", "cuda:1".
 */
public record Dev(boolean cuda, int index) {
    public static final Dev CPU = new Dev(false, -1);

    /**
     * LibTorch's "meta" device: tensors with shapes but no storage. Building a model there costs no memory, which is how
     * {@code ./calico info --model calico-7b} counts parameters; such a model cannot run.
     */
    public static final Dev META = new Dev(false, -2);

    public boolean isMeta() { return !cuda && index == -2; }

    public static Dev cuda(int index) { return new Dev(true, index); }

    public static Dev parse(String s) {
        String t = s.trim().toLowerCase(java.util.Locale.ROOT);
        if (t.equals("cpu")) return CPU;
        if (t.equals("cuda")) return cuda(0);
        if (t.equals("meta")) return META;
        if (t.startsWith("cuda:")) {
            try {
                return cuda(Integer.parseInt(t.substring(5)));
            } catch (NumberFormatException e) {
                // fall through
            }
        }
        throw new IllegalArgumentException("unknown device '" + s + "' (use cpu, cuda or cuda:N)");
    }

    /** A new LibTorch Device (caller owns it; usually inside a PointerScope). */
    public Device torch() {
        if (isMeta()) return new Device("meta");
        return cuda ? new Device("cuda:" + Math.max(index, 0)) : new Device("cpu");
    }

    @Override public String toString() { return isMeta() ? "meta" : cuda ? "cuda:" + Math.max(index, 0) : "cpu"; }
}
