package org.calico.cli;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Predicate;

import org.calico.kernels.NativeLibrary;
import org.calico.kernels.NativeOps;
import org.calico.kernels.Ops;
import org.calico.model.CalicoCheckpoint;
import org.calico.model.CalicoConfig;
import org.calico.model.CalicoModel;
import org.calico.model.Efficiency;
import org.calico.runtime.CalicoRuntime;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.text.Tokenizer;
import org.calico.text.WordTokenizer;
import org.calico.train.Trainer;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Runtime facts (LibTorch, threads, native kernel library, CUDA status, kernel backends); with --model, "
                + "the model's parameter counts per component, the trainable share (paper: ~29M, 0.3%%), tokens per image and "
                + "FLOPs per 2-image sample (paper: 11.22 TFLOPs for CALICO).")
public final class InfoCommand implements Callable<Integer> {
    @Option(names = "--model", description = "calico-7b, calico-tiny (architecture only, built without memory on the meta device) or a checkpoint directory")
    String model;

    @Option(names = "--answer-tokens", defaultValue = "40", description = "answer length assumed for FLOPs")
    int answerTokens;

    @Option(names = "--masks", defaultValue = "4", description = "[SEG] masks assumed for FLOPs")
    int masks;

    @Override public Integer call() {
        CalicoRuntime.init();
        System.out.println("calico 0.1.0");
        System.out.println("java          " + System.getProperty("java.version") + " (" + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ")");
        System.out.println("platform      " + org.bytedeco.javacpp.Loader.getPlatform());
        System.out.println("threads       " + CalicoRuntime.threads());
        System.out.println("native lib    " + NativeLibrary.buildInfo());
        System.out.println("cuda          " + NativeLibrary.cudaStatus());
        System.out.println("cuda stream   " + NativeOps.streamSource());
        System.out.println("kernels       backend per op (-Dcalico.kernels[.<op>]=torch|native; composite whenever autograd needs it)");
        for (String op : Ops.NAMES)
            System.out.printf("  %-24s cpu=%s cuda=%s%n", op, Ops.describe(op, false), Ops.describe(op, true));
        System.out.println("cpu gemm      " + NativeOps.cpuGemmPath());
        System.out.println("qformer fold  -D" + org.calico.kernels.NativeQFormerCrossAttention.FOLD_PROPERTY + "="
                + System.getProperty(org.calico.kernels.NativeQFormerCrossAttention.FOLD_PROPERTY, "auto")
                + " (auto: CPU only; K/V folded where Nq (S + dh) < 0.85 dh S, e.g. BLIP-2's 32 queries over 257 tokens)");
        String tc = System.getenv("CALICO_MHA_TC");
        System.out.println("cuda mha      tensor-core attention (BF16/F16, >= 64 queries) "
                + ("1".equals(tc) ? "ON (CALICO_MHA_TC=1)" : "off (CALICO_MHA_TC=1 turns it on; not yet checked on a GPU)"));
        if (model != null) describe(model);
        return 0;
    }

    void describe(String spec) {
        CalicoModel m;
        boolean preset = spec.equals("calico-7b") || spec.equals("7b") || spec.equals("calico-tiny");
        if (preset) {
            CalicoConfig c = CalicoConfig.preset(spec);
            Tokenizer tok = c.tokenizer().equals("word:tiny") ? WordTokenizer.tinyDefault() : new VocabOnly(c.llm().vocabSize());
            m = new CalicoModel(c, tok, DType.BF16, Dev.META);
        } else {
            m = CalicoCheckpoint.load(spec, DType.F32, Dev.CPU);
        }
        try (m) {
            CalicoConfig c = m.config;
            System.out.println();
            System.out.println("model         " + c);
            String[][] parts = {{"EVA-CLIP ViT", "blip2.visual_encoder."}, {"Q-Former + query tokens", "blip2.qformer.", "blip2.query_tokens"},
                    {"llm_proj", "blip2.llm_proj."}, {"DINOv2", "dino."}, {"CEM", "cem."}, {"CAMs", "cam."}, {"LLM", "llm."},
                    {"LoRA", "lora."}, {"text_hidden_fcs", "text_hidden_fcs."}, {"SAM image encoder", "sam.image_encoder."},
                    {"SAM prompt encoder", "sam.prompt_encoder."}, {"SAM mask decoder", "sam.mask_decoder."}};
            long total = m.parameterCount();
            System.out.println("parameters per component:");
            for (String[] p : parts) {
                long n = m.parameterCount(k -> {
                    for (int i = 1; i < p.length; i++) if (k.startsWith(p[i])) return true;
                    return false;
                });
                if (n > 0) System.out.printf(Locale.ROOT, "  %-24s %,16d  (%5.2f%%)%n", p[0], n, 100.0 * n / total);
            }
            System.out.printf(Locale.ROOT, "  %-24s %,16d%n", "total", total);
            Predicate<String> tr = Trainer.PAPER_TRAINABLE;
            long t = m.parameterCount(tr);
            System.out.printf(Locale.ROOT, "trainable (paper selection: LoRA, CEM, CAMs, text_hidden_fcs, SAM mask decoder): %,d = %.2f%%%n", t, 100.0 * t / total);
            System.out.println("tokens per image: " + c.tokensPerImage() + " (LISA 256, GLaMM 576)");
            int text = m.prompts().inference(org.calico.api.Task.COMMON_PARTS, 2).length() - 2 * c.tokensPerImage();
            Map<String, Double> f = Efficiency.perSample(c, 2, text, answerTokens, masks);
            double sum = f.values().stream().mapToDouble(Double::doubleValue).sum();
            System.out.printf(Locale.ROOT, "FLOPs per 2-image sample (%d prompt text tokens, %d answer tokens, %d masks; 2 x MACs):%n", text, answerTokens, masks);
            f.forEach((k, v) -> System.out.printf(Locale.ROOT, "  %-24s %10.4f TFLOPs%n", k, v / 1e12));
            System.out.printf(Locale.ROOT, "  %-24s %10.4f TFLOPs  = %.4f T multiply-accumulates (fvcore's 'flops'); paper: CALICO 11.22, GLaMM 14.5, LISA 19.63%n",
                    "total", sum / 1e12, sum / 2e12);
        }
    }

    /** A stand-in tokenizer for counting the 7B model without its tokenizer file (only the vocabulary size is used). */
    private record VocabOnly(int size) implements Tokenizer {
        public int[] encode(String text) { return org.calico.text.WordTokenizer.tinyDefault().encode(text); }
        public String decode(int[] ids, boolean skipSpecial) { return ""; }
        public int idOf(String token) { return token.equals(org.calico.text.AddedTokens.SEG) ? 32004 : org.calico.text.WordTokenizer.tinyDefault().idOf(token); }
        public String tokenOf(int id) { return ""; }
        public int vocabSize() { return size; }
        public int bosId() { return 1; }
        public int eosId() { return 2; }
        public int unkId() { return 0; }
        public int padId() { return 0; }
    }
}
