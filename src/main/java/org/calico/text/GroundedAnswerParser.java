package org.calico.text;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses CALICO answers {@code <p> phrase </p> [SEG] (IMAGEk)} (possibly several, free text around; paper §3, spec
 * §7) from generated token ids or from text. For each [SEG] it returns the phrase, the image it belongs to and the
 * position whose final-norm hidden state prompts SAM: the position before [SEG] (GLaMM/LISA convention, spec §2.2).
 * Never throws on model output: see {@link GroundedAnswer.Kind} for what is reported.
 */
public final class GroundedAnswerParser {
    private static final Pattern IMAGE_ID = Pattern.compile("^\\s*\\(\\s*IMAGE\\s*(\\d{1,6})\\s*\\)", Pattern.CASE_INSENSITIVE);
    private static final Pattern TEXT_MARKERS = Pattern.compile(Pattern.quote(AddedTokens.P_OPEN) + "|" + Pattern.quote(AddedTokens.P_CLOSE)
            + "|" + Pattern.quote(AddedTokens.SEG));

    private final Tokenizer tok;
    private final int seg, open, close;

    public GroundedAnswerParser(Tokenizer tok) {
        this.tok = tok;
        seg = tok.requireId(AddedTokens.SEG);
        open = tok.requireId(AddedTokens.P_OPEN);
        close = tok.requireId(AddedTokens.P_CLOSE);
    }

    private enum PKind { OPEN, CLOSE, SEG, TEXT }

    private record Piece(PKind kind, String text, int index) {}

    /**
     * Parses generated ids. {@code offset} is the sequence index of {@code ids[0]} (the prompt length when ids are
     * the generated tokens), so {@code hiddenIndex = offset + segTokenIndex - 1}.
     */
    public GroundedAnswer parse(int[] ids, int numImages, int offset) {
        List<Piece> pieces = new ArrayList<>();
        List<Integer> run = new ArrayList<>();
        int runStart = -1;
        for (int i = 0; i <= ids.length; i++) {
            int id = i < ids.length ? ids[i] : Integer.MIN_VALUE;
            PKind k = id == seg ? PKind.SEG : id == open ? PKind.OPEN : id == close ? PKind.CLOSE : null;
            if ((k != null || i == ids.length) && !run.isEmpty()) {
                pieces.add(new Piece(PKind.TEXT, safeDecode(run), runStart));
                run.clear();
            }
            if (i == ids.length) break;
            if (k != null) pieces.add(new Piece(k, "", i));
            else {
                if (run.isEmpty()) runStart = i;
                run.add(id);
            }
        }
        return run(pieces, numImages, offset, true, safeDecodeAll(ids));
    }

    /** Parses an answer string (no token positions: segTokenIndex and hiddenIndex are -1; indices are characters). */
    public static GroundedAnswer parseText(String text, int numImages) {
        List<Piece> pieces = new ArrayList<>();
        Matcher m = TEXT_MARKERS.matcher(text);
        int last = 0;
        while (m.find()) {
            if (m.start() > last) pieces.add(new Piece(PKind.TEXT, text.substring(last, m.start()), last));
            String g = m.group();
            pieces.add(new Piece(g.equals(AddedTokens.SEG) ? PKind.SEG : g.equals(AddedTokens.P_OPEN) ? PKind.OPEN : PKind.CLOSE, "", m.start()));
            last = m.end();
        }
        if (last < text.length()) pieces.add(new Piece(PKind.TEXT, text.substring(last), last));
        return run(pieces, numImages, 0, false, text);
    }

    private String safeDecode(List<Integer> run) {
        int[] a = run.stream().mapToInt(Integer::intValue).toArray();
        try {
            return tok.decode(a, true);
        } catch (RuntimeException e) {
            return "";
        }
    }

    private String safeDecodeAll(int[] ids) {
        try {
            return tok.decode(ids, true);
        } catch (RuntimeException e) {
            return "";
        }
    }

    private static GroundedAnswer run(List<Piece> pieces, int numImages, int offset, boolean tokens, String text) {
        if (numImages < 1) throw new IllegalArgumentException("numImages must be >= 1, got " + numImages);
        List<GroundedAnswer.Grounding> out = new ArrayList<>();
        List<GroundedAnswer.Problem> problems = new ArrayList<>();
        StringBuilder open = null;
        int openAt = -1;
        String closed = null;
        int closedAt = -1;
        boolean anySeg = false;
        for (int i = 0; i < pieces.size(); i++) {
            Piece p = pieces.get(i);
            switch (p.kind) {
                case OPEN -> {
                    if (open != null) problems.add(new GroundedAnswer.Problem(GroundedAnswer.Kind.UNCLOSED_PHRASE, openAt, "<p> at " + openAt + " is not closed before the next <p> at " + p.index));
                    if (closed != null) problems.add(new GroundedAnswer.Problem(GroundedAnswer.Kind.PHRASE_WITHOUT_SEG, closedAt, "phrase '" + closed + "' is not followed by [SEG]"));
                    closed = null;
                    open = new StringBuilder();
                    openAt = p.index;
                }
                case TEXT -> {
                    if (open != null) open.append(p.text).append(' ');
                }
                case CLOSE -> {
                    if (open == null) problems.add(new GroundedAnswer.Problem(GroundedAnswer.Kind.STRAY_CLOSE, p.index, "</p> at " + p.index + " without an open <p>"));
                    else {
                        if (closed != null) problems.add(new GroundedAnswer.Problem(GroundedAnswer.Kind.PHRASE_WITHOUT_SEG, closedAt, "phrase '" + closed + "' is not followed by [SEG]"));
                        closed = norm(open.toString());
                        closedAt = openAt;
                        open = null;
                    }
                }
                case SEG -> {
                    anySeg = true;
                    String phrase = closed;
                    if (open != null) {
                        problems.add(new GroundedAnswer.Problem(GroundedAnswer.Kind.UNCLOSED_PHRASE, openAt, "<p> at " + openAt + " is not closed before [SEG] at " + p.index));
                        phrase = norm(open.toString());
                        open = null;
                    }
                    if (phrase == null) {
                        problems.add(new GroundedAnswer.Problem(GroundedAnswer.Kind.SEG_WITHOUT_PHRASE, p.index, "[SEG] at " + p.index + " has no <p> phrase </p> before it"));
                        phrase = "";
                    }
                    closed = null;
                    Piece nextText = i + 1 < pieces.size() && pieces.get(i + 1).kind == PKind.TEXT ? pieces.get(i + 1) : null;
                    Matcher m = nextText == null ? null : IMAGE_ID.matcher(nextText.text);
                    int image;
                    if (m == null || !m.find()) {
                        if (numImages == 1) {
                            problems.add(new GroundedAnswer.Problem(GroundedAnswer.Kind.SEG_WITHOUT_IMAGE_ID, p.index, "[SEG] at " + p.index + " is not followed by (IMAGEk); the only image is assumed"));
                            image = 0;
                        } else {
                            problems.add(new GroundedAnswer.Problem(GroundedAnswer.Kind.SEG_WITHOUT_IMAGE_ID, p.index, "[SEG] at " + p.index + " is not followed by (IMAGEk); dropped"));
                            continue;
                        }
                    } else {
                        long k = Long.parseLong(m.group(1));
                        if (k < 1 || k > numImages) {
                            problems.add(new GroundedAnswer.Problem(GroundedAnswer.Kind.IMAGE_ID_OUT_OF_RANGE, p.index, "(IMAGE" + k + ") after [SEG] at " + p.index + " is outside 1.." + numImages + "; dropped"));
                            continue;
                        }
                        image = (int) k - 1;
                    }
                    out.add(new GroundedAnswer.Grounding(phrase, image, tokens ? p.index : -1, tokens ? offset + p.index - 1 : -1));
                }
            }
        }
        if (open != null) problems.add(new GroundedAnswer.Problem(GroundedAnswer.Kind.UNCLOSED_PHRASE, openAt, "<p> at " + openAt + " is never closed"));
        if (closed != null) problems.add(new GroundedAnswer.Problem(GroundedAnswer.Kind.PHRASE_WITHOUT_SEG, closedAt, "phrase '" + closed + "' is not followed by [SEG]"));
        if (!anySeg) problems.add(new GroundedAnswer.Problem(GroundedAnswer.Kind.NO_SEG, -1, "the answer contains no [SEG] token"));
        return new GroundedAnswer(text, out, problems);
    }

    private static String norm(String s) { return s.strip().replaceAll("\\s+", " "); }
}
