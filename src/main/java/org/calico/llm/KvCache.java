package org.calico.llm;

import java.util.Arrays;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;

/**
 * Preallocated key/value cache of a LLaMA model for one batch of sequences: per layer
 * {@code keys, values [B, Hkv, capacity, d]} in the model dtype/device (keys stored after RoPE, only the Hkv heads,
 * not the repeated ones). Decoding is exactly incremental: a step over L new tokens writes slots
 * {@code [length, length + L)} and attends over {@code [0, length + L)}; the position id of a new token is the number
 * of real (non-padding) tokens of its row before it, so a cached step t after an n-token prompt has position n + t.
 * It also remembers which slots hold padding (left-padded batches), so later steps mask them.
 *
 * <p>Not thread-safe: one cache belongs to one generation loop. Create with {@link LlamaForCausalLM#newCache}, close it
 * to free the native memory (e.g. 512 MiB for Vicuna-7B, bf16, B=1, capacity 1024).
 */
public final class KvCache implements AutoCloseable {
    private final int batch, capacity, kvHeads, headDim;
    private final Tensor[] keys, values;
    private final boolean[][] valid;
    private final long[] realCount;
    private int length;
    private boolean closed;

    KvCache(LlamaConfig c, int batch, int capacity, DType dtype, Dev dev) {
        if (batch < 1) throw new IllegalArgumentException("KV cache batch must be >= 1, got " + batch);
        if (capacity < 1) throw new IllegalArgumentException("KV cache capacity must be >= 1, got " + capacity);
        this.batch = batch;
        this.capacity = capacity;
        this.kvHeads = c.numKvHeads();
        this.headDim = c.headDim();
        keys = new Tensor[c.numLayers()];
        values = new Tensor[c.numLayers()];
        try (PointerScope s = new PointerScope()) {
            for (int i = 0; i < keys.length; i++) {
                keys[i] = T.keep(T.zeros(dtype, dev, batch, kvHeads, capacity, headDim));
                values[i] = T.keep(T.zeros(dtype, dev, batch, kvHeads, capacity, headDim));
            }
        }
        valid = new boolean[batch][capacity];
        realCount = new long[batch];
    }

    /** A cache for a bare stack of layers (benchmarks, custom loops); models use {@link LlamaForCausalLM#newCache}. */
    public static KvCache create(LlamaConfig c, int batch, int capacity, DType dtype, Dev dev) {
        return new KvCache(c, batch, capacity, dtype, dev);
    }

    /** Writes k/v [B, Hkv, L, d] of {@code layer} at slots [past, past+L) and returns views of [0, past+L) (no commit). */
    public Tensor[] write(int layer, int past, Tensor k, Tensor v) { return append(layer, past, k, v); }

    public int batch() { return batch; }

    public int capacity() { return capacity; }

    /** Number of slots filled (padding included; the same for every row). */
    public int length() { return length; }

    /** Remaining free slots. */
    public int remaining() { return capacity - length; }

    /** Real tokens of {@code row} seen so far = the position id its next token gets. */
    public long nextPosition(int row) { return realCount[row]; }

    /** Whether slot {@code slot} of {@code row} holds a real token (false for padding). */
    public boolean isValid(int row, int slot) { return valid[row][slot]; }

    /** Forgets everything (slots are overwritten by the next prefill). */
    public void reset() {
        length = 0;
        for (boolean[] v : valid) Arrays.fill(v, false);
        Arrays.fill(realCount, 0);
    }

    void checkOpen() {
        if (closed) throw new IllegalStateException("KV cache is closed");
    }

    /** Writes k/v [B, Hkv, L, d] at slots [past, past+L) of {@code layer}; returns views of slots [0, past+L). */
    Tensor[] append(int layer, int past, Tensor k, Tensor v) {
        long l = k.size(2);
        keys[layer].narrow(2, past, l).copy_(k);
        values[layer].narrow(2, past, l).copy_(v);
        return new Tensor[] {keys[layer].narrow(2, 0, past + l), values[layer].narrow(2, 0, past + l)};
    }

    /** Records that L new slots were filled with the given validity (after every layer ran). */
    void commit(boolean[][] newValid, int l) {
        for (int b = 0; b < batch; b++) {
            for (int j = 0; j < l; j++) {
                valid[b][length + j] = newValid[b][j];
                if (newValid[b][j]) realCount[b]++;
            }
        }
        length += l;
    }

    @Override public void close() {
        if (closed) return;
        closed = true;
        for (Tensor t : keys) T.release(t);
        for (Tensor t : values) T.release(t);
    }
}
