package org.calico.llm;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.calico.nn.Embedding;
import org.calico.nn.Module;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;

/**
 * The LLaMA decoder stack ({@code modeling_llama.py::LlamaModel}): {@code embed_tokens [V, D]},
 * {@code layers.{i}} ({@link LlamaDecoderLayer}), final {@code norm} ({@link RmsNorm}). Inside
 * {@link LlamaForCausalLM} its keys carry the prefix {@code model.} exactly as in HF checkpoints.
 */
public final class LlamaModel extends Module {
    public final LlamaConfig config;
    public final Embedding embedTokens;
    public final List<LlamaDecoderLayer> layers;
    public final RmsNorm norm;
    private final Tensor invFreqCpu;
    private volatile Tensor invFreqDev;

    public LlamaModel(LlamaConfig c, DType dtype, Dev dev) {
        super(dtype, dev);
        this.config = c;
        embedTokens = child("embed_tokens", new Embedding(c.vocabSize(), c.hiddenSize(), dtype, dev));
        List<LlamaDecoderLayer> ls = new ArrayList<>();
        for (int i = 0; i < c.numLayers(); i++) ls.add(new LlamaDecoderLayer(c, dtype, dev));
        layers = children("layers", ls);
        norm = child("norm", new RmsNorm(c.hiddenSize(), c.rmsNormEps(), dtype, dev));
        try (PointerScope s = new PointerScope()) {
            invFreqCpu = T.keep(Rope.invFreq(c.headDim(), c.ropeTheta()));
        }
    }

    /** RoPE inverse frequencies [d/2] F32 on the model's device. */
    Tensor invFreq() {
        Tensor t = invFreqDev;
        if (t == null) {
            synchronized (this) {
                if (invFreqDev == null) {
                    try (PointerScope s = new PointerScope()) {
                        invFreqDev = T.keep(device().cuda() ? T.to(invFreqCpu, device(), DType.F32) : invFreqCpu.detach());
                    }
                }
                t = invFreqDev;
            }
        }
        return t;
    }

    @Override protected void onWeightsChanged() {
        Tensor old = invFreqDev;
        invFreqDev = null;
        T.release(old);
    }

    /** Token embeddings: ids I64 [B, L] -> [B, L, D]. */
    public Tensor embed(Tensor ids) {
        requireReady();
        return embedTokens.forward(ids);
    }

    /** Result of the decoder stack: final-norm states [B, L, D], optional per-layer states, positions [B, L]. */
    record Result(Tensor lastHidden, List<Tensor> hidden, Tensor positions) {}

    Result forward(LlamaInputs in) {
        requireReady();
        final long bl = in.batch(), ll = in.length();
        if (ll < 1) throw new IllegalArgumentException("LLaMA forward needs at least one token, got L = 0");
        final int b = Math.toIntExact(bl), l = Math.toIntExact(ll);
        Tensor h;
        if (in.embeds != null) {
            if (in.embeds.size(2) != config.hiddenSize())
                throw new IllegalArgumentException("inputs_embeds " + T.shapeString(in.embeds) + ": last dim must be hidden_size " + config.hiddenSize());
            h = T.dtype(in.embeds) == dtype() ? in.embeds : T.to(in.embeds, dtype());
            if (h.is_cuda() != device().cuda()) h = T.to(h, device(), dtype());
        } else {
            long[] ids = T.toLongs(in.ids);
            for (int i = 0; i < ids.length; i++)
                if (ids[i] < 0 || ids[i] >= config.vocabSize())
                    throw new IllegalArgumentException("token id " + ids[i] + " at flat index " + i + " is outside the vocabulary [0, " + config.vocabSize() + ")");
            Tensor idsDev = in.ids.is_cuda() == device().cuda() ? in.ids : T.to(in.ids, device(), DType.I64);
            h = embedTokens.forward(idsDev);
        }
        KvCache cache = in.cache;
        int past = 0;
        if (cache != null) {
            cache.checkOpen();
            if (cache.batch() != b) throw new IllegalArgumentException("KV cache holds batch " + cache.batch() + " but the input has batch " + b);
            past = cache.length();
            if (past + l > cache.capacity())
                throw new IllegalArgumentException("KV cache capacity " + cache.capacity() + " exceeded: " + past + " cached + " + l + " new tokens");
        }

        // validity of the new tokens and of the whole key range
        boolean[][] newValid = new boolean[b][l];
        for (boolean[] r : newValid) Arrays.fill(r, true);
        if (in.attentionMask != null) {
            Tensor m = in.attentionMask;
            if (m.dim() != 2 || m.size(0) != b || (m.size(1) != l && m.size(1) != past + l))
                throw new IllegalArgumentException("attention mask " + T.shapeString(m) + " must be [" + b + ", " + l + "] or [" + b + ", " + (past + l) + "]");
            long w = m.size(1);
            long[] mv = T.toLongs(m);
            for (int r = 0; r < b; r++) {
                for (int j = 0; j < l; j++) newValid[r][j] = mv[(int) (r * w + (w - l) + j)] != 0;
                if (w != l && cache != null)
                    for (int j = 0; j < past; j++)
                        if ((mv[(int) (r * w + j)] != 0) != cache.isValid(r, j))
                            throw new IllegalArgumentException("attention mask row " + r + " slot " + j + " disagrees with the KV cache");
            }
        }
        boolean anyPad = false;
        for (int r = 0; r < b && !anyPad; r++) {
            for (int j = 0; j < l; j++) if (!newValid[r][j]) { anyPad = true; break; }
            if (cache != null) for (int j = 0; j < past && !anyPad; j++) if (!cache.isValid(r, j)) anyPad = true;
        }

        Tensor positions;
        if (in.positionIds != null) {
            if (in.positionIds.dim() != 2 || in.positionIds.size(0) != b || in.positionIds.size(1) != l)
                throw new IllegalArgumentException("position ids " + T.shapeString(in.positionIds) + " must be [" + b + ", " + l + "]");
            positions = T.to(in.positionIds, Dev.CPU, DType.I64);
        } else {
            long[] pos = new long[b * l];
            for (int r = 0; r < b; r++) {
                long count = cache == null ? 0 : cache.nextPosition(r);
                for (int j = 0; j < l; j++) {
                    if (newValid[r][j]) pos[r * l + j] = count++;
                    else pos[r * l + j] = 1; // HF: position_ids.masked_fill_(attention_mask == 0, 1)
                }
            }
            positions = T.fromLongs(pos, b, l);
        }
        Tensor posDev = device().cuda() ? T.to(positions, device(), DType.I64) : positions;
        Tensor[] cs = Rope.cosSin(posDev, invFreq(), dtype());

        Tensor mask = null;
        boolean causal = false;
        if (anyPad || (l > 1 && past > 0)) mask = buildMask(b, l, past, newValid, cache);
        else if (l > 1) causal = true;

        PrefillHook hook = past == 0 ? in.hook : null;
        if (in.hook != null) {
            for (int layer : in.hook.layers())
                if (layer < 0 || layer >= config.numLayers())
                    throw new IllegalArgumentException("prefill hook layer " + layer + " is outside [0, " + config.numLayers() + ")");
        }

        List<Tensor> hidden = in.allHidden ? new ArrayList<>() : null;
        for (int i = 0; i < layers.size(); i++) {
            if (hidden != null) hidden.add(h);
            if (hook != null && hook.layers().contains(i)) {
                Tensor before = h;
                h = hook.apply(i, h);
                if (h == null || !Arrays.equals(T.shape(h), T.shape(before)) || T.dtype(h) != T.dtype(before) || h.is_cuda() != before.is_cuda())
                    throw new IllegalStateException("prefill hook at layer " + i + " returned " + (h == null ? "null" : T.shapeString(h) + " " + T.dtype(h))
                            + ", expected " + T.shapeString(before) + " " + T.dtype(before));
            }
            h = layers.get(i).forward(h, cs[0], cs[1], mask, causal, cache, i, past);
        }
        Tensor last = norm.forward(h);
        if (hidden != null) hidden.add(last);
        if (cache != null) cache.commit(newValid, l);
        return new Result(last, hidden, positions);
    }

    /** bool [B, 1, L, past+L]: query j (slot past+j) may attend key k iff k <= past+j and (k is real or k == past+j). */
    private Tensor buildMask(int b, int l, int past, boolean[][] newValid, KvCache cache) {
        int t = past + l;
        byte[] m = new byte[b * l * t];
        for (int r = 0; r < b; r++) {
            boolean[] kv = new boolean[t];
            for (int k = 0; k < past; k++) kv[k] = cache.isValid(r, k);
            System.arraycopy(newValid[r], 0, kv, past, l);
            for (int q = 0; q < l; q++) {
                int base = (r * l + q) * t, self = past + q;
                for (int k = 0; k <= self; k++) if (kv[k] || k == self) m[base + k] = 1;
            }
        }
        Tensor mask = T.fromBytes(m, b, 1, l, t).to(DType.BOOL.scalarType());
        return device().cuda() ? T.to(mask, device(), DType.BOOL) : mask;
    }
}
