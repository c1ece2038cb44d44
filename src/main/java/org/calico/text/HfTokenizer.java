package org.calico.text;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

/**
 * An HF {@code tokenizer.json} run by the Rust {@code tokenizers} library through DJL
 * ({@code ai.djl.huggingface:tokenizers}, native code inside the jar), fully offline: the process must run with
 * {@code -Dai.djl.offline=true} / {@code OPT_OUT_TRACKING=true} (the {@code ./calico} launcher and the tests set
 * both). The vocabulary ({@link #idOf}, {@link #tokenOf}) is read from the JSON's {@code model.vocab} and
 * {@code added_tokens}; BOS/EOS/UNK are {@code <s>}, {@code </s>}, {@code <unk>} when present (LLaMA), else
 * {@code tokenizer_config.json} beside the file names them. Added tokens ({@link AddedTokens}) are split off in Java
 * before the Rust tokenizer sees the text (same behaviour as {@link SentencePieceTokenizer}); tokens the JSON
 * already contains keep their ids. Close it to free the native tokenizer.
 */
public final class HfTokenizer extends BaseTokenizer implements AutoCloseable {
    private final Path file;
    private final HuggingFaceTokenizer tok;
    private final Map<String, Integer> vocab = new HashMap<>();
    private final Map<Integer, String> byId = new HashMap<>();
    private final int size, bos, eos, unk, pad;

    private HfTokenizer(Path file, List<String> added) throws IOException {
        this.file = file;
        if (System.getProperty("ai.djl.offline") == null) System.setProperty("ai.djl.offline", "true");
        JsonNode root = new ObjectMapper().readTree(Files.readString(file));
        JsonNode v = root.path("model").path("vocab");
        if (v.isObject()) v.fields().forEachRemaining(e -> put(e.getKey(), e.getValue().asInt()));
        else if (v.isArray()) for (int i = 0; i < v.size(); i++) put(v.get(i).get(0).asText(), i); // Unigram [piece, score]
        else throw new IllegalArgumentException(file + ": tokenizer.json has no model.vocab");
        for (JsonNode a : root.path("added_tokens")) put(a.path("content").asText(), a.path("id").asInt());
        int max = -1;
        for (int id : byId.keySet()) max = Math.max(max, id);
        size = max + 1;
        Map<String, String> cfg = specialsFromConfig(file.resolveSibling("tokenizer_config.json"));
        bos = special(cfg.getOrDefault("bos_token", "<s>"));
        eos = special(cfg.getOrDefault("eos_token", "</s>"));
        unk = special(cfg.getOrDefault("unk_token", "<unk>"));
        int p = special(cfg.getOrDefault("pad_token", ""));
        pad = p >= 0 ? p : unk;
        tok = HuggingFaceTokenizer.newInstance(file, Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"));
        initAddedTokens(added);
    }

    private void put(String t, int id) {
        vocab.put(t, id);
        byId.put(id, t);
    }

    private int special(String t) {
        Integer id = vocab.get(t);
        return id == null ? -1 : id;
    }

    private static Map<String, String> specialsFromConfig(Path cfg) throws IOException {
        Map<String, String> out = new HashMap<>();
        if (!Files.isRegularFile(cfg)) return out;
        JsonNode n = new ObjectMapper().readTree(Files.readString(cfg));
        for (String k : List.of("bos_token", "eos_token", "unk_token", "pad_token")) {
            JsonNode x = n.get(k);
            if (x == null || x.isNull()) continue;
            out.put(k, x.isObject() ? x.path("content").asText() : x.asText());
        }
        return out;
    }

    /** Loads {@code tokenizer.json} (a file, or a directory holding one) with the given added tokens. */
    public static HfTokenizer load(Path fileOrDir, List<String> addedTokens) {
        Path f = Files.isDirectory(fileOrDir) ? fileOrDir.resolve("tokenizer.json") : fileOrDir;
        if (!Files.isRegularFile(f)) throw new IllegalArgumentException("tokenizer.json not found: " + f);
        try {
            return new HfTokenizer(f, addedTokens);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + f + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("cannot load HF tokenizer " + f + ": " + e.getMessage(), e);
        }
    }

    @Override protected int[] encodeSegment(String text) {
        long[] ids = tok.encode(text, false, false).getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) out[i] = Math.toIntExact(ids[i]);
        return out;
    }

    @Override protected String decodeSegment(int[] ids) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) l[i] = ids[i];
        return tok.decode(l, false);
    }

    @Override protected int baseVocabSize() { return size; }

    @Override protected int baseIdOf(String piece) {
        Integer id = vocab.get(piece);
        return id == null ? -1 : id;
    }

    @Override protected String baseTokenOf(int id) {
        String t = byId.get(id);
        if (t == null) throw new IllegalArgumentException(file + ": no token with id " + id);
        return t;
    }

    @Override public int bosId() { return bos; }

    @Override public int eosId() { return eos; }

    @Override public int unkId() { return unk; }

    @Override public int padId() { return pad; }

    @Override public void close() { tok.close(); }

    @Override public String toString() { return "HfTokenizer[" + file + ", " + vocabSize() + " tokens]"; }
}
