package org.calico.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.util.List;

import org.junit.jupiter.api.Test;

class PromptAndParserTest {
    static final WordTokenizer WT = WordTokenizer.tinyDefault();

    @Test void overviewWordingForOneTwoAndMoreImages() {
        assertEquals("The <image> (IMAGE1) provides an overview of the picture.", PromptBuilder.overview(1));
        assertEquals("The <image> (IMAGE1) and <image> (IMAGE2) provide an overview of the pictures.", PromptBuilder.overview(2));
        assertEquals("The <image> (IMAGE1), <image> (IMAGE2) and <image> (IMAGE3) provide an overview of the pictures.", PromptBuilder.overview(3));
        PromptBuilder b = PromptBuilder.calico(WT);
        assertEquals("The <image> (IMAGE1) and <image> (IMAGE2) provide an overview of the pictures.\nCan you segment the common object in these images?",
                b.message(Task.COMMON_OBJECT, 2));
        assertEquals(PromptBuilder.LLAVA_V1_SYSTEM + " USER: hi ASSISTANT:", b.conversation("hi"));
        assertThrows(IllegalArgumentException.class, () -> PromptBuilder.overview(0));
        var e = assertThrows(IllegalArgumentException.class, () -> b.message("Compare <image> and <image>.", 3));
        assertTrue(e.getMessage().contains("2 <image> markers but 3 images"), e.getMessage());
        assertEquals("Compare <image> and <image>.", b.message("Compare <image> and <image>.", 2));
        assertTrue(b.message("Which parts differ?", 2).endsWith("pictures.\nWhich parts differ?"));
    }

    @Test void inferenceLayoutHasImageSpansAndLastInstruction() {
        PromptBuilder b = PromptBuilder.calico(WT);
        PromptLayout l = b.inference(Task.UNIQUE_PARTS, 3);
        int[] ids = l.ids();
        assertEquals(WT.bosId(), ids[0]);
        assertEquals(3, l.numImages());
        assertEquals(32, l.tokensPerImage());
        for (PromptLayout.Span s : l.imageSpans()) {
            assertEquals(32, s.length());
            assertEquals(WT.idOf("<im_start>"), ids[s.start() - 1], "im_start before image " + s.image());
            assertEquals(WT.idOf("<im_end>"), ids[s.end()], "im_end after image " + s.image());
            for (int i = s.start(); i < s.end(); i++) assertTrue(l.isImageSlot(i));
            // "(imageK)" follows the image
            assertEquals(WT.idOf("image" + (s.image() + 1)), ids[s.end() + 2]);
        }
        long slots = java.util.Arrays.stream(ids).filter(x -> x == PromptLayout.IMAGE_TOKEN_ID).count();
        assertEquals(96, slots);
        assertEquals(l.length() - 1, l.lastInstructionIndex());
        assertEquals(WT.idOf(":"), ids[l.lastInstructionIndex()], "the context ends with 'ASSISTANT:'");
        assertEquals(WT.idOf("assistant"), ids[l.lastInstructionIndex() - 1]);
        assertEquals(-1, l.answerStart());
        long[] emb = l.idsForEmbedding(WT.padId());
        assertEquals(WT.padId(), emb[l.imageSpans().get(0).start()]);
        PromptLayout s = l.shifted(5, WT.padId());
        assertEquals(l.imageSpans().get(1).start() + 5, s.imageSpans().get(1).start());
        assertEquals(l.lastInstructionIndex() + 5, s.lastInstructionIndex());
        assertEquals(WT.padId(), s.ids()[0]);
        // without <im_start>/<im_end>, 8 tokens per image
        PromptLayout plain = b.withImStartEnd(false).withTokensPerImage(8).inference(Task.UNIQUE_PARTS, 3);
        assertEquals(l.length() - 3 * 2 - 3 * (32 - 8), plain.length(), "3 images: no <im_start>/<im_end>, 8 instead of 32 slots");
        assertEquals(8, plain.imageSpans().get(2).length());
    }

    @Test void trainingLayoutMarksTheAnswer() {
        PromptBuilder b = PromptBuilder.calico(WT);
        String msg = b.message(Task.COMMON_OBJECT, 2);
        PromptLayout t = b.training(msg, 2, "The common object is <p> chair </p> [SEG] (IMAGE1) and <p> chair </p> [SEG] (IMAGE2).");
        PromptLayout inf = b.inference(Task.COMMON_OBJECT, 2);
        int[] ti = t.ids(), ii = inf.ids();
        assertEquals(inf.length(), t.answerStart());
        assertEquals(inf.lastInstructionIndex(), t.lastInstructionIndex());
        for (int i = 0; i < ii.length; i++) assertEquals(ii[i], ti[i], "context token " + i);
        assertEquals(WT.idOf("the"), ti[t.answerStart()]);
        assertEquals(WT.eosId(), ti[ti.length - 1]);
        assertEquals(inf.imageSpans(), t.imageSpans());
    }

    @Test void sentencePiecePromptFollowsGlammTokenizerImageToken() throws Exception {
        byte[] model;
        try (InputStream in = PromptAndParserTest.class.getResourceAsStream("llama-style-sp.model")) {
            model = in.readAllBytes();
        }
        SentencePieceTokenizer sp = SentencePieceTokenizer.fromBytes(model, "sp", AddedTokens.GLAMM);
        PromptLayout l = PromptBuilder.calico(sp).inference(Task.COMMON_PARTS, 2);
        String conv = l.text().replace("<image>", "<im_start><image><im_end>");
        String[] chunks = conv.split("<image>", -1);
        // GLaMM: BOS + chunk0 + 32 slots + chunk1 + 32 slots + chunk2, each chunk tokenized separately
        int[] ids = l.ids();
        int pos = 1;
        for (int c = 0; c < chunks.length; c++) {
            if (c > 0) pos += 32;
            int[] ci = sp.encode(chunks[c]);
            for (int j = 0; j < ci.length; j++) assertEquals(ci[j], ids[pos + j], "chunk " + c + " token " + j);
            pos += ci.length;
        }
        assertEquals(ids.length, pos);
        assertEquals(sp.idOf("<im_end>"), ids[l.imageSpans().get(0).end()]);
        // "ASSISTANT:" ends the context
        assertTrue(sp.decode(java.util.Arrays.copyOfRange(ids, ids.length - 4, ids.length)).endsWith("ASSISTANT:"));
    }

    @Test void parsesGroundedAnswerFromTokens() {
        GroundedAnswerParser p = new GroundedAnswerParser(WT);
        String ans = "the unique parts are <p> the seat cushion </p> [SEG] (image1) and <p> the back pillow </p> [SEG] (image2).</s>";
        int[] ids = WT.encode(ans);
        GroundedAnswer a = p.parse(ids, 2, 100);
        assertTrue(a.ok(), a.problems().toString());
        assertEquals(2, a.groundings().size());
        GroundedAnswer.Grounding g0 = a.groundings().get(0), g1 = a.groundings().get(1);
        assertEquals("the seat cushion", g0.phrase());
        assertEquals(0, g0.imageIndex());
        assertEquals(1, g0.imageNumber());
        assertEquals(WT.idOf("[SEG]"), ids[g0.segTokenIndex()]);
        assertEquals(WT.idOf("</p>"), ids[g0.segTokenIndex() - 1]);
        assertEquals(100 + g0.segTokenIndex() - 1, g0.hiddenIndex());
        assertEquals("the back pillow", g1.phrase());
        assertEquals(1, g1.imageIndex());
        assertTrue(g1.segTokenIndex() > g0.segTokenIndex());
        assertFalse(a.text().contains("</s>"));
    }

    @Test void malformedAnswersAreReportedNotThrown() {
        GroundedAnswerParser p = new GroundedAnswerParser(WT);
        GroundedAnswer unclosed = p.parse(WT.encode("<p> the seat [SEG] (image1) and <p> wheel"), 2, 0);
        assertTrue(unclosed.has(GroundedAnswer.Kind.UNCLOSED_PHRASE));
        assertEquals(1, unclosed.groundings().size());
        assertEquals("the seat", unclosed.groundings().get(0).phrase());
        assertEquals(2, unclosed.problems().stream().filter(x -> x.kind() == GroundedAnswer.Kind.UNCLOSED_PHRASE).count());

        GroundedAnswer noId = p.parse(WT.encode("<p> seat </p> [SEG] and <p> wheel </p> [SEG] (image2)"), 2, 0);
        assertTrue(noId.has(GroundedAnswer.Kind.SEG_WITHOUT_IMAGE_ID));
        assertEquals(1, noId.groundings().size(), "the [SEG] without an image id is dropped with 2 images");
        assertEquals(1, noId.groundings().get(0).imageIndex());

        GroundedAnswer single = p.parse(WT.encode("<p> seat </p> [SEG]"), 1, 0);
        assertEquals(1, single.groundings().size(), "one image: the missing id means image 1");
        assertTrue(single.has(GroundedAnswer.Kind.SEG_WITHOUT_IMAGE_ID));

        GroundedAnswer range = p.parse(WT.encode("<p> seat </p> [SEG] (image3)"), 2, 0);
        assertTrue(range.has(GroundedAnswer.Kind.IMAGE_ID_OUT_OF_RANGE));
        assertEquals(0, range.groundings().size());

        GroundedAnswer none = p.parse(WT.encode("there is no common object ."), 2, 0);
        assertTrue(none.has(GroundedAnswer.Kind.NO_SEG));
        assertEquals(0, none.groundings().size());

        GroundedAnswer stray = p.parse(WT.encode("seat </p> [SEG] (image1) <p> leg </p>"), 2, 0);
        assertTrue(stray.has(GroundedAnswer.Kind.STRAY_CLOSE));
        assertTrue(stray.has(GroundedAnswer.Kind.SEG_WITHOUT_PHRASE));
        assertTrue(stray.has(GroundedAnswer.Kind.PHRASE_WITHOUT_SEG));
        assertEquals("", stray.groundings().get(0).phrase());

        GroundedAnswer empty = p.parse(new int[0], 2, 0);
        assertTrue(empty.has(GroundedAnswer.Kind.NO_SEG));
        GroundedAnswer junk = p.parse(new int[] {-5, 99999, WT.idOf("[SEG]")}, 2, 0);
        assertTrue(junk.has(GroundedAnswer.Kind.SEG_WITHOUT_PHRASE));
    }

    @Test void parsesText() {
        GroundedAnswer a = GroundedAnswerParser.parseText(
                "The unique parts of the objects are <p> the seat cushion </p> [SEG] (IMAGE1) and <p> the back pillow </p> [SEG] (IMAGE2).", 2);
        assertTrue(a.ok());
        assertEquals(List.of("the seat cushion", "the back pillow"), a.groundings().stream().map(GroundedAnswer.Grounding::phrase).toList());
        assertEquals(-1, a.groundings().get(0).hiddenIndex());
        GroundedAnswer b = GroundedAnswerParser.parseText("<p>x</p>[SEG](IMAGE 2)", 2);
        assertEquals(1, b.groundings().get(0).imageIndex());
    }

    @Test void parserNeedsTheGroundingTokens() {
        WordTokenizer bare = WordTokenizer.of(List.of("<unk>", "<s>", "</s>", "<pad>", "x"), List.of());
        var e = assertThrows(IllegalArgumentException.class, () -> new GroundedAnswerParser(bare));
        assertTrue(e.getMessage().contains("'[SEG]'"), e.getMessage());
    }
}
