package org.calico.model;

import java.util.LinkedHashMap;
import java.util.Map;

import org.calico.llm.LlamaConfig;
import org.calico.sam.ImageEncoderConfig;
import org.calico.sam.MaskDecoderConfig;
import org.calico.vision.Dinov2Config;
import org.calico.vision.EvaVitConfig;
import org.calico.vision.QFormerConfig;

/**
 * Analytic compute of one CALICO sample (paper appendix E.1 reports 11.22 TFLOPs per 2-image sample for CALICO,
 * 14.5 for GLaMM and 19.63 for LISA): FLOPs = 2 x multiply-accumulates of every matrix product (linear layers,
 * attention scores and values, convolutions as GEMMs); element-wise work (norms, softmax, activations) is left out,
 * as FLOP counters such as fvcore/thop do. The answer length and the number of [SEG] masks are parameters.
 */
public final class Efficiency {
    private Efficiency() {}

    static double linear(double tokens, double in, double out) { return 2 * tokens * in * out; }

    static double attention(double q, double k, double width) { return 2 * 2 * q * k * width; }

    /** A pre-LN ViT block: qkv, proj, MLP, full attention over n tokens. */
    static double vitBlock(double n, int c, int mlp) {
        return linear(n, c, 3 * c) + linear(n, c, c) + linear(n, c, mlp) + linear(n, mlp, c) + attention(n, n, c);
    }

    public static double eva(EvaVitConfig e) {
        double n = e.numTokens();
        double f = linear(e.gridSize() * e.gridSize(), 3 * e.patchSize() * e.patchSize(), e.width());
        return f + e.depth() * vitBlock(n, e.width(), e.mlpHidden());
    }

    public static double dino(Dinov2Config d, int imageSize) {
        int g = imageSize / d.patchSize();
        double n = 1 + d.numRegisters() + (double) g * g;
        return linear((double) g * g, 3 * d.patchSize() * d.patchSize(), d.width()) + d.depth() * vitBlock(n, d.width(), d.mlpHidden());
    }

    /** Q-Former query path over s encoder tokens. */
    public static double qformer(QFormerConfig q, double s) {
        double nq = q.numQueries(), d = q.hidden();
        double f = 0;
        for (int l = 0; l < q.layers(); l++) {
            f += 4 * linear(nq, d, d) + attention(nq, nq, d);
            if (l % q.crossAttentionFrequency() == 0) f += 2 * linear(nq, d, d) + 2 * linear(s, q.encoderHidden(), d) + attention(nq, s, d);
            f += linear(nq, d, q.intermediate()) + linear(nq, q.intermediate(), d);
        }
        return f;
    }

    public static double cem(CalicoConfig c) {
        double s = c.eva().numTokens(), g = c.dinoImageSize() / c.dino().patchSize(), t = g * g;
        int w = c.eva().width();
        return 2 * linear(s, w, w) + 2 * linear(t, c.dino().width(), w) + attention(s, t, w);
    }

    /** LLaMA over a sequence of length L (prefill, then each generated token attends to the growing cache). */
    public static double llm(LlamaConfig l, double prompt, double answer) {
        double d = l.hiddenSize(), kv = (double) l.numKvHeads() * l.headDim(), tokens = prompt + answer;
        double perToken = l.numLayers() * (linear(1, d, d) * 2 + linear(1, d, kv) * 2 + linear(1, d, l.intermediateSize()) * 3)
                + linear(1, d, l.vocabSize());
        double attn = 0;
        for (double p = 1; p <= tokens; p++) attn += l.numLayers() * attention(1, p, d);
        return tokens * perToken + attn;
    }

    public static double samEncoder(ImageEncoderConfig e) {
        double g = e.gridSize(), n = g * g, c = e.embedDim();
        int mlp = (int) (c * e.mlpRatio());
        double f = linear(n, 3 * e.patchSize() * e.patchSize(), c);
        for (int b = 0; b < e.depth(); b++) {
            f += linear(n, c, 3 * c) + linear(n, c, c) + linear(n, c, mlp) + linear(n, mlp, c);
            // scores and values, plus the decomposed rel-pos terms q . R_h (one per key row) and q . R_w (one per key column)
            if (e.globalAttnIndexes().contains(b) || e.windowSize() == 0) {
                f += attention(n, n, c) + linear(n, c, 2 * g);
            } else {
                double w = e.windowSize(), padded = Math.ceil(g / w) * w;
                double windows = (padded / w) * (padded / w), wt = w * w;
                f += windows * (attention(wt, wt, c) + linear(wt, c, 2 * w));
            }
        }
        f += linear(n, c, e.outChans()) + linear(n, 9.0 * e.outChans(), e.outChans()); // neck 1x1 and 3x3 convs
        return f;
    }

    /** Mask decoder for one prompt with t sparse tokens over an h x w embedding (upscaling and hypernetworks included). */
    public static double samDecoder(MaskDecoderConfig m, double h, double w, double sparse) {
        double c = m.transformerDim(), n = h * w, t = 1 + m.numMultimaskOutputs() + 1 + sparse, ci = c / m.attentionDownsampleRate();
        double f = 0;
        for (int l = 0; l < m.depth(); l++) {
            f += 4 * linear(t, c, c) + attention(t, t, c);                                   // self-attention
            f += 2 * linear(t, c, ci) + 2 * linear(n, c, ci) + attention(t, n, ci);          // token -> image
            f += linear(t, c, m.mlpDim()) + linear(t, m.mlpDim(), c);
            f += 2 * linear(n, c, ci) + 2 * linear(t, c, ci) + attention(n, t, ci);          // image -> token
        }
        f += 2 * linear(t, c, ci) + 2 * linear(n, c, ci) + attention(t, n, ci);              // final token -> image
        f += linear(n, c, 4 * c / 4) + linear(4 * n, c / 4, 4 * c / 8);                       // two 2x2 transposed convs
        f += linear(16 * n, c / 8, 1);                                                         // hypernetwork product
        return f;
    }

    /** FLOPs per component for one sample of {@code images} images, {@code answerTokens} answer tokens and {@code masks} [SEG]s. */
    public static Map<String, Double> perSample(CalicoConfig c, int images, int promptTextTokens, int answerTokens, int masks) {
        Map<String, Double> m = new LinkedHashMap<>();
        double s = c.eva().numTokens();
        m.put("EVA-CLIP", images * eva(c.eva()));
        m.put("Q-Former + projection", images * (qformer(c.qformer(), s) + linear(c.qformer().numQueries(), c.qformer().hidden(), c.llm().hiddenSize())));
        if (c.useCem()) {
            m.put("DINOv2", images * dino(c.dino(), c.dinoImageSize()));
            m.put("CEM", images * cem(c));
        }
        if (c.useCam()) {
            double d = c.llm().hiddenSize(), dq = c.qformer().hidden(), nq = c.qformer().numQueries();
            m.put("CAMs", c.camLayers().length * (linear(1, d, dq) + images * (qformer(c.qformer(), s) + linear(nq, dq, d))));
        }
        double prompt = promptTextTokens + (double) images * c.tokensPerImage();
        m.put("LLM", llm(c.llm(), prompt, answerTokens));
        double d = c.llm().hiddenSize();
        m.put("text_hidden_fcs", masks * (linear(1, d, d) + linear(1, d, c.segDim())));
        m.put("SAM encoder", images * samEncoder(c.sam().imageEncoder()));
        double g = c.sam().imageEncoder().gridSize();
        m.put("SAM decoder", masks * samDecoder(c.sam().maskDecoder(), g, g, 1));
        return m;
    }
}
