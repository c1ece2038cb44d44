package org.calico.text;

/**
 * A text tokenizer for the language model. Implementations: {@link SentencePieceTokenizer} (LLaMA
 * {@code tokenizer.model}, pure Java), {@link HfTokenizer} (HF {@code tokenizer.json} through DJL's Rust
 * tokenizers), {@link WordTokenizer} (word-level, for tiny synthetic models). All are immutable and thread-safe.
 *
 * <p>Added tokens ({@link AddedTokens}, e.g. GLaMM's {@code [SEG]}, {@code <p>}, {@code </p>}) are matched in the
 * text before the model's own tokenization, the way transformers 4.28's slow tokenizer (the version GLaMM pins) does
 * it: the text is split on added and special tokens, the text on both sides of an added token is stripped of
 * whitespace, and every remaining piece is encoded on its own.
 */
public interface Tokenizer {
    /** Token ids of {@code text}, without BOS/EOS. */
    int[] encode(String text);

    /** BOS followed by {@link #encode(String)} (LLaMA's {@code add_special_tokens=True}). */
    default int[] encodeWithBos(String text) {
        int[] ids = encode(text);
        int[] out = new int[ids.length + 1];
        out[0] = bosId();
        System.arraycopy(ids, 0, out, 1, ids.length);
        return out;
    }

    /** Text of {@code ids}; added tokens appear as their text, separated by spaces (HF {@code spaces_between_special_tokens}). */
    default String decode(int[] ids) { return decode(ids, false); }

    /** As {@link #decode(int[])}; with {@code skipSpecial} the BOS/EOS/UNK/PAD control tokens are left out (added tokens stay). */
    String decode(int[] ids, boolean skipSpecial);

    /** The id of a single token (a vocabulary piece or an added token), or -1. */
    int idOf(String token);

    /** The vocabulary string of {@code id} (e.g. {@code "▁the"}, {@code "<0x0A>"}, {@code "[SEG]"}). */
    String tokenOf(int id);

    /** Vocabulary size including added tokens (= the LLM's embedding rows). */
    int vocabSize();

    int bosId();

    int eosId();

    int unkId();

    /** Padding id (GLaMM sets pad = unk). */
    int padId();

    /** {@link #idOf(String)} that fails with a clear message when the token is unknown. */
    default int requireId(String token) {
        int id = idOf(token);
        if (id < 0) throw new IllegalArgumentException("token '" + token + "' is not in the vocabulary of " + this);
        return id;
    }
}
