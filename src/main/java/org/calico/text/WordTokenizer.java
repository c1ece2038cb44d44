package org.calico.text;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A word-level tokenizer for tiny synthetic models: text is lower-cased and split into words (letters/digits runs,
 * apostrophes inside words) and single punctuation characters; each is looked up in a vocabulary file (one token per
 * line, id = line number). Ids 0..3 are {@code <unk>}, {@code <s>}, {@code </s>}, {@code <pad>}; added tokens
 * ({@link AddedTokens}) follow the file's vocabulary in GLaMM's order. Decoding joins tokens with single spaces,
 * except no space before {@code . , ; : ! ? )} and after {@code (}, so canonical text such as
 * {@code "the <image> (image1) provides an overview of the picture."} round-trips exactly.
 */
public final class WordTokenizer extends BaseTokenizer {
    public static final String UNK = "<unk>", BOS = "<s>", EOS = "</s>", PAD = "<pad>";
    private static final Pattern WORD = Pattern.compile("[\\p{L}\\p{N}]+(?:'[\\p{L}\\p{N}]+)*|[^\\s\\p{L}\\p{N}]");
    private static final String NO_SPACE_BEFORE = ".,;:!?)", NO_SPACE_AFTER = "(";

    private final String source;
    private final List<String> words;
    private final Map<String, Integer> ids = new HashMap<>();

    private WordTokenizer(String source, List<String> words, List<String> added) {
        this.source = source;
        if (words.size() < 4 || !words.get(0).equals(UNK) || !words.get(1).equals(BOS) || !words.get(2).equals(EOS) || !words.get(3).equals(PAD))
            throw new IllegalArgumentException(source + ": a word vocabulary must start with <unk>, <s>, </s>, <pad> (lines 1-4)");
        this.words = List.copyOf(words);
        for (int i = 0; i < words.size(); i++) {
            String w = words.get(i);
            if (w.isEmpty() || w.chars().anyMatch(Character::isWhitespace))
                throw new IllegalArgumentException(source + ": line " + (i + 1) + " is not a single token: '" + w + "'");
            if (ids.putIfAbsent(w, i) != null) throw new IllegalArgumentException(source + ": token '" + w + "' appears twice (line " + (i + 1) + ")");
        }
        initAddedTokens(added);
    }

    /** Builds a tokenizer from a vocabulary list (first four entries are the special tokens). */
    public static WordTokenizer of(List<String> vocabulary, List<String> addedTokens) {
        return new WordTokenizer("word vocabulary", vocabulary, addedTokens);
    }

    /** Reads a vocabulary file (UTF-8, one token per line). */
    public static WordTokenizer load(Path file, List<String> addedTokens) {
        try {
            return new WordTokenizer(file.toString(), lines(Files.readString(file, StandardCharsets.UTF_8)), addedTokens);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read word vocabulary " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The embedded vocabulary of the tiny demo model ({@code org/calico/text/tiny-vocab.txt}: the words of
     * {@link PromptBuilder}'s templates, the conversation template and common object/part names) with GLaMM's added
     * tokens.
     */
    public static WordTokenizer tinyDefault() {
        try (InputStream in = WordTokenizer.class.getResourceAsStream("tiny-vocab.txt")) {
            if (in == null) throw new IllegalStateException("resource org/calico/text/tiny-vocab.txt is missing from the jar");
            return new WordTokenizer("tiny-vocab.txt", lines(new String(in.readAllBytes(), StandardCharsets.UTF_8)), AddedTokens.GLAMM);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read tiny-vocab.txt: " + e.getMessage(), e);
        }
    }

    private static List<String> lines(String s) {
        List<String> out = new ArrayList<>();
        for (String l : s.split("\r?\n", -1)) if (!l.isEmpty()) out.add(l);
        return out;
    }

    /** The words of {@code text} (lower-cased), before vocabulary lookup. */
    public static List<String> split(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = WORD.matcher(text.toLowerCase(Locale.ROOT));
        while (m.find()) out.add(m.group());
        return out;
    }

    @Override protected int[] encodeSegment(String text) {
        List<String> w = split(text);
        int[] out = new int[w.size()];
        for (int i = 0; i < out.length; i++) out[i] = ids.getOrDefault(w.get(i), 0);
        return out;
    }

    @Override protected String decodeSegment(int[] idz) {
        StringBuilder sb = new StringBuilder();
        String prev = null;
        for (int id : idz) {
            String w = words.get(id);
            if (prev != null && !(w.length() == 1 && NO_SPACE_BEFORE.contains(w)) && !NO_SPACE_AFTER.equals(prev)) sb.append(' ');
            sb.append(w);
            prev = w;
        }
        return sb.toString();
    }

    @Override protected int baseVocabSize() { return words.size(); }

    @Override protected int baseIdOf(String piece) {
        Integer id = ids.get(piece);
        return id == null ? -1 : id;
    }

    @Override protected String baseTokenOf(int id) { return words.get(id); }

    @Override public int bosId() { return 1; }

    @Override public int eosId() { return 2; }

    @Override public int unkId() { return 0; }

    @Override public int padId() { return 3; }

    @Override public String toString() { return "WordTokenizer[" + source + ", " + vocabSize() + " tokens]"; }
}
