package org.calico.text;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Shared added-token logic for the {@link Tokenizer} implementations: added tokens get ids after the base vocabulary
 * (or keep their id when the base vocabulary already has them as one piece); encoding and decoding treat them as in
 * transformers 4.28's slow {@code PreTrainedTokenizer} (see {@link Tokenizer}).
 */
public abstract class BaseTokenizer implements Tokenizer {
    private final Map<String, Integer> added = new LinkedHashMap<>();
    private final Map<Integer, String> addedById = new LinkedHashMap<>();
    private final Map<String, Integer> controlStrings = new LinkedHashMap<>();
    private List<String> matchOrder = List.of();
    private int vocabSize;

    /** Base-model encoding of plain text (no added or control tokens inside). */
    protected abstract int[] encodeSegment(String text);

    /** Base-model decoding of ids that are neither added nor control tokens. */
    protected abstract String decodeSegment(int[] ids);

    protected abstract int baseVocabSize();

    /** Id of a single base-vocabulary piece, or -1. */
    protected abstract int baseIdOf(String piece);

    protected abstract String baseTokenOf(int id);

    /** Must be called by subclass constructors once the base vocabulary is known. */
    protected final void initAddedTokens(List<String> tokens) {
        int next = baseVocabSize();
        for (String t : tokens) {
            if (t == null || t.isEmpty()) throw new IllegalArgumentException("empty added token");
            if (t.equals(AddedTokens.IMAGE))
                throw new IllegalArgumentException("<image> is an expansion marker of the prompt builder, not a vocabulary token");
            if (added.containsKey(t)) throw new IllegalArgumentException("added token '" + t + "' given twice");
            int id = baseIdOf(t);
            if (id < 0) id = next++;
            added.put(t, id);
            addedById.put(id, t);
        }
        vocabSize = next;
        for (int id : new int[] {bosId(), eosId(), unkId(), padId()})
            if (id >= 0 && id < baseVocabSize() && !addedById.containsKey(id)) controlStrings.put(baseTokenOf(id), id);
        List<String> order = new ArrayList<>(added.keySet());
        order.addAll(controlStrings.keySet());
        order.sort((a, b) -> Integer.compare(b.length(), a.length())); // longest match first
        matchOrder = List.copyOf(order);
    }

    /** Added tokens and their ids, in id order. */
    public final Map<String, Integer> addedTokens() { return Collections.unmodifiableMap(added); }

    @Override public final int vocabSize() { return vocabSize; }

    @Override public final int idOf(String token) {
        Integer a = added.get(token);
        return a != null ? a : baseIdOf(token);
    }

    @Override public final String tokenOf(int id) {
        String a = addedById.get(id);
        if (a != null) return a;
        if (id < 0 || id >= baseVocabSize()) throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + vocabSize + ")");
        return baseTokenOf(id);
    }

    private record Part(String text, int id) {
        boolean isToken() { return id >= 0; }
    }

    @Override public final int[] encode(String text) {
        if (text == null) throw new IllegalArgumentException("text must not be null");
        List<Part> parts = split(text);
        // transformers 4.28 tokenize(): plain-string added tokens strip the text on both sides
        for (int i = 0; i < parts.size(); i++) {
            Part p = parts.get(i);
            if (!p.isToken() || !added.containsKey(p.text)) continue;
            if (i + 1 < parts.size() && !parts.get(i + 1).isToken()) parts.set(i + 1, new Part(parts.get(i + 1).text.stripLeading(), -1));
            if (i > 0 && !parts.get(i - 1).isToken()) parts.set(i - 1, new Part(parts.get(i - 1).text.stripTrailing(), -1));
        }
        List<int[]> chunks = new ArrayList<>();
        int n = 0;
        for (Part p : parts) {
            int[] c = p.isToken() ? new int[] {p.id} : p.text.isEmpty() ? new int[0] : encodeSegment(p.text);
            chunks.add(c);
            n += c.length;
        }
        int[] out = new int[n];
        int o = 0;
        for (int[] c : chunks) {
            System.arraycopy(c, 0, out, o, c.length);
            o += c.length;
        }
        return out;
    }

    /** Splits at added and control token strings (leftmost, longest match). */
    private List<Part> split(String text) {
        List<Part> parts = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        int i = 0;
        outer:
        while (i < text.length()) {
            for (String t : matchOrder) {
                if (text.startsWith(t, i)) {
                    parts.add(new Part(cur.toString(), -1));
                    cur.setLength(0);
                    Integer id = added.get(t);
                    parts.add(new Part(t, id != null ? id : controlStrings.get(t)));
                    i += t.length();
                    continue outer;
                }
            }
            cur.append(text.charAt(i++));
        }
        parts.add(new Part(cur.toString(), -1));
        return parts;
    }

    @Override public final String decode(int[] ids, boolean skipSpecial) {
        Set<Integer> control = Set.copyOf(controlStrings.values());
        List<String> texts = new ArrayList<>();
        List<Integer> run = new ArrayList<>();
        for (int id : ids) {
            if (id < 0 || id >= vocabSize) throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + vocabSize + ")");
            if (control.contains(id)) {
                if (skipSpecial) continue;
                flush(run, texts);
                texts.add(baseTokenOf(id));
            } else if (addedById.containsKey(id)) {
                flush(run, texts);
                texts.add(addedById.get(id));
            } else {
                run.add(id);
            }
        }
        flush(run, texts);
        return String.join(" ", texts);
    }

    private void flush(List<Integer> run, List<String> texts) {
        if (run.isEmpty()) return;
        int[] a = run.stream().mapToInt(Integer::intValue).toArray();
        run.clear();
        texts.add(decodeSegment(a));
    }
}
