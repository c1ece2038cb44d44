package org.calico.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fixtures: scripts/make_tokenizer_fixtures.py (Python sentencepiece 0.2.2, tokenizers 0.23.2). */
class TokenizerTest {
    static JsonNode fx;
    static byte[] model;

    @BeforeAll static void load() throws Exception {
        try (InputStream in = TokenizerTest.class.getResourceAsStream("sp-fixtures.json")) {
            fx = new ObjectMapper().readTree(in);
        }
        try (InputStream in = TokenizerTest.class.getResourceAsStream("llama-style-sp.model")) {
            model = in.readAllBytes();
        }
    }

    static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asInt();
        return out;
    }

    static SentencePieceTokenizer sp() { return SentencePieceTokenizer.fromBytes(model, "llama-style-sp.model", AddedTokens.GLAMM); }

    @Test void sentencePieceMatchesPythonReference() {
        SentencePieceTokenizer t = sp();
        assertEquals(fx.get("vocab_size").asInt() + 7, t.vocabSize());
        assertEquals(1, t.bosId());
        assertEquals(2, t.eosId());
        assertEquals(0, t.unkId());
        assertEquals(0, t.padId(), "GLaMM: pad = unk");
        int n = 0;
        for (JsonNode c : fx.get("cases")) {
            String text = c.get("text").asText();
            if (text.contains("<p>")) continue; // added tokens are handled differently from plain sentencepiece
            List<String> wantPieces = new ArrayList<>();
            c.get("pieces").forEach(p -> wantPieces.add(p.asText()));
            assertEquals(wantPieces, t.pieces(text), "pieces of '" + text + "'");
            assertArrayEquals(ints(c.get("ids")), t.encode(text), "ids of '" + text + "'");
            assertEquals(c.get("decoded").asText(), t.decode(ints(c.get("ids"))), "decode of '" + text + "'");
            n++;
        }
        assertEquals(12, n);
        for (JsonNode c : fx.get("decode_cases"))
            assertEquals(c.get("decoded").asText(), t.decode(ints(c.get("ids")), true), "decode " + c.get("ids"));
    }

    @Test void byteFallbackAndRoundTrips() {
        SentencePieceTokenizer t = sp();
        for (String s : List.of("Hello world", "  two leading spaces", "tabs\tand\nnewlines\n", "日本語 🙂 ünï", "mixed 123.45 (IMAGE3)!"))
            assertEquals(s, t.decode(t.encode(s)), "round trip of '" + s + "'");
        int[] emoji = t.encode("🙂");
        assertTrue(t.tokenOf(emoji[emoji.length - 1]).startsWith("<0x"), "emoji falls back to bytes");
        assertEquals(5, emoji.length, "dummy prefix + 4 UTF-8 bytes");
    }

    @Test void glammAddedTokenLayout() {
        SentencePieceTokenizer t = sp();
        int base = fx.get("vocab_size").asInt();
        fx.get("added_tokens").fields().forEachRemaining(e -> assertEquals(e.getValue().asInt(), t.idOf(e.getKey()), e.getKey()));
        assertEquals(base + 4, t.idOf("[SEG]"));
        assertEquals(base + 5, t.idOf("<p>"));
        assertEquals(base + 6, t.idOf("</p>"));
        assertEquals("[SEG]", t.tokenOf(base + 4));
        assertEquals(-1, t.idOf("<image>"), "<image> is an expansion marker, not a token");
        // on LLaMA's 32000-piece vocabulary the layout is GLaMM's: <im_start> 32000 ... </p> 32006, [SEG] 32004
        List<String> words = new ArrayList<>(List.of("<unk>", "<s>", "</s>", "<pad>"));
        for (int i = 4; i < 32000; i++) words.add("w" + i);
        WordTokenizer big = WordTokenizer.of(words, AddedTokens.GLAMM);
        assertEquals(32007, big.vocabSize());
        int[] want = {32000, 32001, 32002, 32003, 32004, 32005, 32006};
        for (int i = 0; i < 7; i++) assertEquals(want[i], big.idOf(AddedTokens.GLAMM.get(i)));
        var e = assertThrows(IllegalArgumentException.class, () -> WordTokenizer.of(words, List.of("<image>")));
        assertTrue(e.getMessage().contains("expansion marker"));
    }

    @Test void glammStyleEncodingOfGroundedText() {
        SentencePieceTokenizer t = sp();
        for (JsonNode c : fx.get("glamm"))
            assertArrayEquals(ints(c.get("ids")), t.encode(c.get("text").asText()), "'" + c.get("text").asText() + "'");
        int[] ids = t.encode("<p> the seat cushion </p> [SEG] (IMAGE1)");
        assertEquals("<p> the seat cushion </p> [SEG] (IMAGE1)", t.decode(ids));
        assertEquals(t.idOf("<p>"), ids[0]);
    }

    @Test void hfTokenizerJsonMatchesPythonAndSentencePiece(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("tokenizer.json");
        try (InputStream in = TokenizerTest.class.getResourceAsStream("llama-style-tokenizer.json")) {
            Files.write(json, in.readAllBytes());
        }
        SentencePieceTokenizer s = sp();
        try (HfTokenizer t = HfTokenizer.load(dir, AddedTokens.GLAMM)) {
            assertEquals(s.vocabSize(), t.vocabSize());
            assertEquals(1, t.bosId());
            assertEquals(2, t.eosId());
            assertEquals(0, t.unkId());
            for (JsonNode c : fx.get("cases")) {
                String text = c.get("text").asText();
                if (text.contains("<p>")) continue;
                assertArrayEquals(ints(c.get("hf_ids")), t.encode(text), "HF ids of '" + text + "'");
            }
            for (JsonNode c : fx.get("glamm")) assertArrayEquals(ints(c.get("ids")), t.encode(c.get("text").asText()));
            String a = "The unique parts are <p> the seat cushion </p> [SEG] (IMAGE1) and <p> the back </p> [SEG] (IMAGE2).";
            assertEquals(a, t.decode(t.encode(a)));
            assertEquals(s.idOf("▁the"), t.idOf("▁the"));
            assertEquals("[SEG]", t.tokenOf(t.idOf("[SEG]")));
        }
        var e = assertThrows(IllegalArgumentException.class, () -> HfTokenizer.load(dir.resolve("missing"), List.of()));
        assertTrue(e.getMessage().contains("tokenizer.json not found"), e.getMessage());
    }

    @Test void rejectsUnsupportedOrCorruptModels() {
        var e = assertThrows(IllegalArgumentException.class, () -> SentencePieceTokenizer.fromBytes(new byte[] {10, 100, 1}, "junk.model", List.of()));
        assertTrue(e.getMessage().contains("junk.model"), e.getMessage());
        byte[] trunc = java.util.Arrays.copyOf(model, model.length / 2);
        assertThrows(IllegalArgumentException.class, () -> SentencePieceTokenizer.fromBytes(trunc, "half.model", List.of()));
    }

    @Test void wordTokenizerRoundTripsAndUnknowns() {
        WordTokenizer t = WordTokenizer.tinyDefault();
        assertEquals(262, t.vocabSize());
        assertEquals(255 + 4, t.idOf("[SEG]"));
        String s = "the <p> seat </p> [SEG] (image1) and <p> wheel </p> [SEG] (image2).";
        assertEquals(s, t.decode(t.encode(s)));
        String overview = "the <im_start> <im_end> (image1) provides an overview of the picture.";
        assertEquals(overview, t.decode(t.encode(overview)));
        int[] unk = t.encode("Zorblax chair");
        assertEquals(0, unk[0]);
        assertEquals(t.idOf("chair"), unk[1]);
        assertEquals("chair", t.decode(t.encode("</s> chair <s>"), true));
        assertEquals(List.of("human's", "questions", "."), WordTokenizer.split("Human's questions."));
        var e = assertThrows(IllegalArgumentException.class, () -> WordTokenizer.of(List.of("a", "b"), List.of()));
        assertTrue(e.getMessage().contains("must start with <unk>"));
        var d = assertThrows(IllegalArgumentException.class, () -> t.decode(new int[] {999}));
        assertTrue(d.getMessage().contains("token id 999"));
    }
}
