package org.calico.vision;

import java.util.ArrayList;
import java.util.List;

import org.bytedeco.pytorch.Tensor;
import org.calico.kernels.Ops;
import org.calico.kernels.QFormerCrossAttentionOp;
import org.calico.nn.KeyMapping;
import org.calico.nn.LayerNorm;
import org.calico.nn.Linear;
import org.calico.nn.Module;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;

/**
 * The BLIP-2 Q-Former, query path (LAVIS {@code lavis/models/blip2_models/Qformer.py::BertModel} called with
 * {@code query_embeds} only; HF {@code Blip2QFormerModel}).
 *
 * <pre>
 * query_embeds [B, Nq, D] -> embeddings.LayerNorm (eps 1e-12)
 *   -> per layer i (BERT post-LN):
 *        h = attention.output.LayerNorm(attention.output.dense(SelfAttn(h)) + h)
 *        if i % cross_attention_frequency == 0:
 *          h = crossattention.output.LayerNorm(crossattention.output.dense(CrossAttn(q = h, kv = image)) + h)
 *        h = output_query.LayerNorm(output_query.dense(gelu(intermediate_query.dense(h))) + h)
 *   -> [B, Nq, D]
 * </pre>
 * Cross-attention keys/values project from the image width ({@code encoderHidden}, 1408) to D. No masks: every
 * image token and every query is attended. Any number of queries; batched over images.
 *
 * <p>Parameter names are LAVIS's relative to {@code Qformer.bert.}: {@code embeddings.LayerNorm.*},
 * {@code encoder.layer.{i}.attention.self.{query,key,value}.*}, {@code ...attention.output.{dense,LayerNorm}.*},
 * {@code ...crossattention.self.{query [D,D], key [D,E], value [D,E]}.*}, {@code ...crossattention.output.*} (cross
 * layers only), {@code ...intermediate_query.dense.*}, {@code ...output_query.{dense,LayerNorm}.*}.
 * Checkpoint layouts: {@link #LAVIS}, {@link #HF}.
 */
public final class QFormer extends Module {
    public final QFormerConfig cfg;
    public final LayerNorm embLayerNorm;
    public final List<Layer> layers;

    /** LAVIS BLIP-2 / InstructBLIP / Cheetah: {@code Qformer.bert.*}; the text-only parts are knowingly unused. */
    public static final KeyMapping LAVIS = lavisRules(KeyMapping.builder("Q-Former LAVIS"), "", "Qformer.").build();

    /** transformers {@code Blip2QFormerModel} state dict ({@code layernorm}, {@code attention.attention.*}). */
    public static final KeyMapping HF = hfRules(KeyMapping.builder("Q-Former HF"), "", "").build();

    public QFormer(QFormerConfig cfg, DType dtype, Dev dev) {
        super(dtype, dev);
        this.cfg = cfg;
        embLayerNorm = child("embeddings.LayerNorm", new LayerNorm(cfg.hidden(), cfg.eps(), dtype, dev));
        List<Layer> ls = new ArrayList<>();
        for (int i = 0; i < cfg.layers(); i++) ls.add(new Layer(cfg, cfg.hasCrossAttention(i), dtype, dev));
        layers = children("encoder.layer", ls);
    }

    /**
     * LAVIS rules: the Q-Former at module prefix {@code mod} is {@code <ckpt>bert.*} (ckpt e.g. {@code Qformer.}).
     * Ignored: the text head {@code cls.*}, word/position embeddings and the text FFN ({@code intermediate},
     * {@code output}) that the query path never runs.
     */
    public static KeyMapping.Builder lavisRules(KeyMapping.Builder b, String mod, String ckpt) {
        String m = "^" + java.util.regex.Pattern.quote(mod);
        String c = java.util.regex.Pattern.quote(ckpt);
        return b.rename(m + "(embeddings|encoder)\\.", ckpt + "bert.$1.")
                .ignore(c + "cls\\..*")
                .ignore(c + "bert\\.embeddings\\.(word_embeddings|position_embeddings)\\.weight")
                .ignore(c + "bert\\.embeddings\\.position_ids")
                .ignore(c + "bert\\.encoder\\.layer\\.\\d+\\.(intermediate|output)\\..*");
    }

    /** HF rules: the Q-Former at module prefix {@code mod} is a {@code Blip2QFormerModel} under {@code ckpt} (e.g. {@code qformer.}). */
    public static KeyMapping.Builder hfRules(KeyMapping.Builder b, String mod, String ckpt) {
        String m = "^" + java.util.regex.Pattern.quote(mod);
        return b.rename(m + "embeddings\\.LayerNorm\\.", ckpt + "layernorm.")
                .rename(m + "encoder\\.layer\\.(\\d+)\\.(attention|crossattention)\\.self\\.", ckpt + "encoder.layer.$1.$2.attention.")
                .rename(m + "encoder\\.", ckpt + "encoder.");
    }

    /**
     * queryEmbeds [Bq, Nq, D] (Bq = B or 1, broadcast), image [B, S, E] -> [B, Nq, D]. The query LayerNorm is applied
     * first, so pass raw query tokens (or Cheetah's {@code q + f_adaptation(h)}).
     */
    public Tensor forward(Tensor queryEmbeds, Tensor image) {
        return forwardAll(queryEmbeds, image, false).get(0);
    }

    /**
     * As {@link #forward}; with {@code keepHidden} the list is [output, layernorm(query), layer 0 output, ...,
     * layer L-1 output] (HF {@code hidden_states} after the output), otherwise just [output].
     */
    public List<Tensor> forwardAll(Tensor queryEmbeds, Tensor image, boolean keepHidden) {
        requireReady();
        VisionOps.requireRank(queryEmbeds, 3, "Q-Former query_embeds [B, Nq, D]");
        VisionOps.requireRank(image, 3, "Q-Former image features [B, S, E]");
        VisionOps.requireDim(queryEmbeds, 2, cfg.hidden(), "Q-Former query_embeds [B, Nq, " + cfg.hidden() + "]");
        VisionOps.requireDim(image, 2, cfg.encoderHidden(), "Q-Former image features [B, S, " + cfg.encoderHidden() + "]");
        long b = image.size(0);
        if (queryEmbeds.size(0) != b && queryEmbeds.size(0) != 1)
            throw new IllegalArgumentException("Q-Former: query batch " + queryEmbeds.size(0) + " must be 1 or the image batch " + b
                    + " (queries " + T.shapeString(queryEmbeds) + ", images " + T.shapeString(image) + ")");
        Tensor enc = VisionOps.like(image, this);
        Tensor h = embLayerNorm.forward(VisionOps.like(queryEmbeds, this));
        if (h.size(0) != b) h = h.expand(b, -1, -1);
        List<Tensor> hs = new ArrayList<>();
        hs.add(null);
        if (keepHidden) hs.add(h);
        for (Layer l : layers) {
            h = l.forward(h, enc);
            if (keepHidden) hs.add(h);
        }
        hs.set(0, h);
        return hs;
    }

    /** One Q-Former layer (query tokens only). */
    public static final class Layer extends Module {
        public final BertAttention attention, crossattention;
        public final Linear intermediateQuery, outputQueryDense;
        public final LayerNorm outputQueryLayerNorm;

        Layer(QFormerConfig cfg, boolean cross, DType dtype, Dev dev) {
            super(dtype, dev);
            attention = child("attention", new BertAttention(cfg.hidden(), cfg.hidden(), cfg.heads(), cfg.eps(), dtype, dev));
            crossattention = cross ? child("crossattention", new BertAttention(cfg.hidden(), cfg.encoderHidden(), cfg.heads(), cfg.eps(), dtype, dev)) : null;
            intermediateQuery = child("intermediate_query.dense", new Linear(cfg.hidden(), cfg.intermediate(), true, dtype, dev));
            outputQueryDense = child("output_query.dense", new Linear(cfg.intermediate(), cfg.hidden(), true, dtype, dev));
            outputQueryLayerNorm = child("output_query.LayerNorm", new LayerNorm(cfg.hidden(), cfg.eps(), dtype, dev));
        }

        /** h [B, Nq, D], image [B, S, E] -> [B, Nq, D]. */
        public Tensor forward(Tensor h, Tensor image) {
            requireReady();
            h = attention.forward(h, h);
            if (crossattention != null) h = crossattention.forward(h, image);
            Tensor ff = outputQueryDense.forward(T.gelu(intermediateQuery.forward(h)));
            return outputQueryLayerNorm.forward(T.add(ff, h));
        }

        public boolean hasCrossAttention() { return crossattention != null; }
    }

    /**
     * BERT attention block ({@code BertAttention}: {@code self.{query,key,value}}, {@code output.{dense,LayerNorm}}):
     * {@code LayerNorm(dense(MHA(query(h), key(kv), value(kv))) + h)}. Query from width D, key/value from width
     * {@code kvWidth} (D for self-attention, the image width for cross-attention). The attention itself runs through
     * {@link Ops#qformerCrossAttention(QFormerCrossAttentionOp)} (CALICO's native kernel, or this class's LibTorch code
     * under autograd / {@code -Dcalico.kernels=torch}).
     */
    public static final class BertAttention extends Module {
        public final Linear query, key, value, dense;
        public final LayerNorm layerNorm;
        private final int heads;
        private final QFormerCrossAttentionOp attnOp = Ops.qformerCrossAttention((h, kv, w) -> attendComposite(h, kv));

        BertAttention(int hidden, int kvWidth, int heads, double eps, DType dtype, Dev dev) {
            super(dtype, dev);
            this.heads = heads;
            query = child("self.query", new Linear(hidden, hidden, true, dtype, dev));
            key = child("self.key", new Linear(kvWidth, hidden, true, dtype, dev));
            value = child("self.value", new Linear(kvWidth, hidden, true, dtype, dev));
            dense = child("output.dense", new Linear(hidden, hidden, true, dtype, dev));
            layerNorm = child("output.LayerNorm", new LayerNorm(hidden, eps, dtype, dev));
        }

        /** h [B, Nq, D], kvInput [B, S, kvWidth] -> [B, Nq, D] (post-LN residual block). */
        public Tensor forward(Tensor h, Tensor kvInput) {
            requireReady();
            return layerNorm.forward(T.add(dense.forward(attend(h, kvInput)), h));
        }

        /**
         * The attention itself, before {@code output.dense}: softmax(q k^T / sqrt(d)) v with q = query(h),
         * k = key(kvInput), v = value(kvInput), heads concatenated. h [B, Nq, D], kvInput [B, S, kvWidth] -> [B, Nq, D].
         * Dispatched through {@link Ops}: the native kernel (one K|V GEMM + fused attention) when no gradient is
         * needed, else {@link #attendComposite}.
         */
        public Tensor attend(Tensor h, Tensor kvInput) {
            requireReady();
            return attnOp.forward(h, kvInput, new QFormerCrossAttentionOp.Weights(query.weight.t(), query.bias.t(),
                    key.weight.t(), key.bias.t(), value.weight.t(), value.bias.t(), heads));
        }

        /** {@link #attend} in LibTorch ops (the autograd path and {@code -Dcalico.kernels=torch}). */
        public Tensor attendComposite(Tensor h, Tensor kvInput) {
            requireReady();
            Tensor q = VisionOps.splitHeads(query.forward(h), heads);
            Tensor k = VisionOps.splitHeads(key.forward(kvInput), heads);
            Tensor v = VisionOps.splitHeads(value.forward(kvInput), heads);
            return VisionOps.mergeHeads(VisionOps.attend(q, k, v));
        }

        /** Releases the parameters and the attention op's cached weights. */
        @Override public void close() {
            attnOp.close();
            super.close();
        }

        @Override protected void onWeightsChanged() { attnOp.close(); }
    }
}
