package org.calico.llm;

import java.util.Set;

/**
 * LoRA hyper-parameters (PEFT {@code LoraConfig}): rank {@code r}, {@code alpha} (scaling = alpha / r), dropout on
 * the LoRA input path (training only), target modules among LLaMA's attention projections. LISA / GLaMM / CALICO use
 * r 8, alpha 16, dropout 0.05 on {@code q_proj} and {@code v_proj} (spec §2.5, §6, §7), {@link #calico()}.
 */
public record LoraConfig(int r, double alpha, double dropout, Set<String> targets) {
    public static final Set<String> SUPPORTED_TARGETS = Set.of("q_proj", "v_proj");

    public LoraConfig {
        if (r < 1) throw new IllegalArgumentException("LoRA rank must be >= 1, got " + r);
        if (!(alpha > 0)) throw new IllegalArgumentException("LoRA alpha must be > 0, got " + alpha);
        if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("LoRA dropout must be in [0, 1), got " + dropout);
        if (targets == null || targets.isEmpty()) throw new IllegalArgumentException("LoRA needs at least one target module");
        for (String t : targets)
            if (!SUPPORTED_TARGETS.contains(t))
                throw new IllegalArgumentException("LoRA target '" + t + "' is not supported (supported: q_proj, v_proj)");
        targets = Set.copyOf(targets);
    }

    /** r 8, alpha 16, dropout 0.05, q_proj + v_proj. */
    public static LoraConfig calico() { return new LoraConfig(8, 16, 0.05, Set.of("q_proj", "v_proj")); }

    public double scaling() { return alpha / r; }
}
