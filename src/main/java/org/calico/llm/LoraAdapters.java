package org.calico.llm;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.calico.io.SafeTensors;
import org.calico.io.TensorSource;
import org.calico.nn.Init;
import org.calico.nn.KeyMapping;
import org.calico.nn.Linear;
import org.calico.nn.LoadReport;
import org.calico.nn.Module;
import org.calico.tensor.DType;
import org.calico.tensor.T;

/**
 * LoRA adapters for a {@link LlamaForCausalLM} (PEFT {@code LoraModel}, peft 0.5 as pinned by GLaMM): for every
 * target projection a pair {@code lora_A.weight [r, in]} (kaiming-uniform with a = sqrt(5), i.e. U(-1/sqrt(in),
 * 1/sqrt(in)), as PEFT) and {@code lora_B.weight [out, r]} (zeros), so a fresh adapter changes nothing. The delta is
 * {@code scaling * B(A(dropout(x)))}, dropout only while {@link #training()}.
 *
 * <p>Keys inside this module are {@code model.layers.{i}.self_attn.{q,v}_proj.lora_{A,B}.weight}; the PEFT file
 * format adds the prefix {@code base_model.model.} ({@link #PEFT}, what {@code save_pretrained} writes:
 * {@code adapter_model.safetensors}) and the in-memory PEFT state dict also inserts {@code .default}
 * ({@link #PEFT_DEFAULT}); {@link #loadPeft} accepts both.
 *
 * <p>Merging: {@link #merge()} adds {@code scaling * B A} (computed in F32, cast to the weight dtype) into each
 * target weight and keeps the original weight, so {@link #unmerge()} restores it bit-exactly;
 * {@link #mergeAndUnload()} merges and drops the originals and the adapter (deployment).
 */
public final class LoraAdapters extends Module {
    /** PEFT adapter files ({@code adapter_model.safetensors/.bin}): {@code base_model.model.<module>.lora_A.weight}. */
    public static final KeyMapping PEFT = KeyMapping.builder("PEFT adapter").prefix("base_model.model.").build();

    /** PEFT in-memory state dict: {@code base_model.model.<module>.lora_A.default.weight}. */
    public static final KeyMapping PEFT_DEFAULT = KeyMapping.builder("PEFT adapter (.default)")
            .rename("\\.lora_([AB])\\.weight$", ".lora_$1.default.weight").prefix("base_model.model.").build();

    /** One target's adapter: children {@code lora_A}, {@code lora_B}. */
    public static final class Pair extends Module {
        public final Linear loraA, loraB;
        final LoraLinear target;
        final LoraAdapters owner;
        private Tensor original; // kept while merged
        private volatile boolean merged;

        Pair(LoraAdapters owner, LoraLinear target, int r) {
            super(target.dtype(), target.device());
            this.owner = owner;
            this.target = target;
            long fanIn = target.in;
            double bound = 1.0 / Math.sqrt(fanIn);
            loraA = child("lora_A", new Linear(target.in, r, false, Init.uniform(-bound, bound), target.dtype(), target.device()));
            loraB = child("lora_B", new Linear(r, target.out, false, Init.ZEROS, target.dtype(), target.device()));
        }

        public boolean merged() { return merged; }

        /** scaling * B(A(dropout(x))): x [..., in] -> [..., out]. */
        public Tensor delta(Tensor x) {
            Tensor xi = owner.cfg.dropout() > 0 && owner.training ? T.dropout(x, owner.cfg.dropout(), true) : x;
            return T.mul(loraB.forward(loraA.forward(xi)), owner.cfg.scaling());
        }

        /** scaling * B A as F32 [out, in]. */
        Tensor deltaWeight() {
            return T.mul(T.matmul(T.to(loraB.weight.t(), DType.F32), T.to(loraA.weight.t(), DType.F32)), owner.cfg.scaling());
        }
    }

    private final LoraConfig cfg;
    private final LlamaForCausalLM base;
    private final Map<String, Pair> pairs = new LinkedHashMap<>();
    private volatile boolean training;
    private boolean attached;

    private LoraAdapters(LlamaForCausalLM base, LoraConfig cfg) {
        super(base.dtype(), base.device());
        this.base = base;
        this.cfg = cfg;
        for (int i = 0; i < base.config.numLayers(); i++) {
            LlamaAttention a = base.model.layers.get(i).selfAttn;
            for (String t : List.of("q_proj", "v_proj")) {
                if (!cfg.targets().contains(t)) continue;
                LoraLinear target = t.equals("q_proj") ? a.qProj : a.vProj;
                if (target.adapter() != null) throw new IllegalStateException("layer " + i + " " + t + " already has a LoRA adapter");
                String name = "model.layers." + i + ".self_attn." + t;
                pairs.put(name, child(name, new Pair(this, target, cfg.r())));
            }
        }
    }

    /**
     * Creates adapters for {@code base} (A random from {@code seed}, B zeros), attaches them (forward passes now add
     * the LoRA path) and marks only their parameters trainable.
     */
    public static LoraAdapters attach(LlamaForCausalLM base, LoraConfig cfg, long seed) {
        LoraAdapters a = new LoraAdapters(base, cfg);
        a.initRandom(seed);
        a.setTrainable(k -> true);
        a.attachAll();
        return a;
    }

    /** Loads a PEFT adapter file (or directory holding {@code adapter_model.safetensors}) and attaches it. */
    public static LoraAdapters loadPeft(LlamaForCausalLM base, LoraConfig cfg, Path fileOrDir) {
        Path p = fileOrDir;
        if (java.nio.file.Files.isDirectory(p)) p = p.resolve("adapter_model.safetensors");
        LoraAdapters a = new LoraAdapters(base, cfg);
        try (TensorSource src = SafeTensors.open(p)) {
            boolean dflt = src.names().stream().anyMatch(n -> n.contains(".lora_A.default.") || n.contains(".lora_B.default."));
            a.load(src, dflt ? PEFT_DEFAULT : PEFT, false);
        } catch (RuntimeException e) {
            a.close();
            throw e;
        }
        a.attachAll();
        return a;
    }

    private void attachAll() {
        for (Pair p : pairs.values()) p.target.attach(p);
        attached = true;
    }

    public LoraConfig config() { return cfg; }

    /** Target module names ({@code model.layers.{i}.self_attn.q_proj}, ...) to their adapters. */
    public Map<String, Pair> pairs() { return Collections.unmodifiableMap(pairs); }

    public boolean training() { return training; }

    /** Training mode: LoRA dropout active. */
    public void train(boolean on) { training = on; }

    public boolean isMerged() {
        for (Pair p : pairs.values()) if (p.merged) return true;
        return false;
    }

    /** Writes the adapter in PEFT's file format ({@code base_model.model.<module>.lora_A.weight}) as safetensors. */
    public void savePeft(Path file) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        stateDict().forEach((k, t) -> out.put(PEFT.resolve(k).sourceKeys().get(0), t));
        SafeTensors.write(file, out, Map.of("format", "pt"));
    }

    /** Merges every adapter into its target weight, keeping the originals for an exact {@link #unmerge()}. */
    public void merge() { mergeInternal(true); }

    /** Restores the original target weights saved by {@link #merge()} (bit-exact). */
    public void unmerge() {
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            for (Pair p : pairs.values()) {
                if (!p.merged) continue;
                p.target.weight.t().copy_(p.original);
                T.release(p.original);
                p.original = null;
                p.merged = false;
            }
        }
    }

    /** Merges the adapters for good and detaches them (the base model then runs without any LoRA overhead). */
    public void mergeAndUnload() {
        mergeInternal(false);
        detach();
    }

    private void mergeInternal(boolean keep) {
        requireReady();
        if (!attached) throw new IllegalStateException("LoRA adapters are detached");
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            for (Pair p : pairs.values()) {
                if (p.merged) continue;
                Tensor w = p.target.weight.t();
                if (keep) p.original = T.keep(T.copy(w));
                Tensor merged = T.add(T.to(w, DType.F32), p.deltaWeight());
                w.copy_(T.to(merged, T.dtype(w)));
                p.merged = true;
            }
        }
    }

    /** Detaches the adapters from the model (unmerged adapters stop contributing; merged weights stay merged). */
    public void detach() {
        for (Pair p : pairs.values()) {
            p.target.attach(null);
            if (p.original != null) {
                T.release(p.original);
                p.original = null;
            }
        }
        attached = false;
    }

    /** Loads weights from a {@link TensorSource} under this module's own names (no PEFT prefix). */
    public LoadReport loadOwn(TensorSource src) { return load(src, KeyMapping.identity(), false); }

    /** Base model this adapter set belongs to. */
    public LlamaForCausalLM base() { return base; }

    @Override public void close() {
        detach();
        super.close();
    }

    /** Names of the adapted modules, in layer order. */
    public List<String> targetNames() { return new ArrayList<>(pairs.keySet()); }
}
