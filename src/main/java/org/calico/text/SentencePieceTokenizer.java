package org.calico.text;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * SentencePiece {@code tokenizer.model} reader and BPE encoder in pure Java, for LLaMA / Vicuna tokenizers
 * (BPE with byte fallback, "identity" normalisation). Follows {@code google/sentencepiece}
 * {@code src/bpe_model.cc::SampleEncode} (alpha 0), {@code normalizer.cc::Normalize} and
 * {@code sentencepiece_processor.cc::Decode}:
 * <ul>
 *   <li>normalise: drop leading/collapse/trailing spaces if {@code remove_extra_whitespaces} (LLaMA: off), prepend
 *       U+2581 if {@code add_dummy_prefix}, replace ' ' with U+2581;</li>
 *   <li>split into characters (user-defined symbols stay whole and are never merged), then repeatedly merge the
 *       adjacent pair whose concatenation is a NORMAL/USER_DEFINED/UNUSED piece with the highest score (leftmost on
 *       ties); UNUSED results are split back into their parts;</li>
 *   <li>unknown pieces become their UTF-8 bytes ({@code <0xXX>} pieces) with byte fallback, else one {@code <unk>}
 *       per run.</li>
 * </ul>
 * Only model type BPE and identity normalisation (no precompiled character map) are supported; anything else is
 * rejected with a clear message. Checked against the Python {@code sentencepiece} library on a LLaMA-style model
 * (test fixtures from {@code scripts/make_tokenizer_fixtures.py}).
 */
public final class SentencePieceTokenizer extends BaseTokenizer {
    private static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;
    private static final String SPACE = "\u2581";

    private final String source;
    private final String[] pieces;
    private final float[] scores;
    private final int[] types;
    private final Map<String, Integer> normalPieces = new HashMap<>();
    private final Map<String, Integer> reserved = new HashMap<>();
    private final List<String> userDefined = new ArrayList<>();
    private final int[] byteIds = new int[256];
    private final int unkId, bosId, eosId, padId;
    private final boolean byteFallback, addDummyPrefix, removeExtraWhitespaces, escapeWhitespaces;
    private final String unkSurface;

    private SentencePieceTokenizer(String source, byte[] proto, List<String> addedTokens, int padOverride) {
        this.source = source;
        Proto m = Proto.parse(proto, source);
        if (m.pieces.isEmpty()) throw new IllegalArgumentException(source + ": no pieces in the SentencePiece model");
        if (m.modelType != 2)
            throw new IllegalArgumentException(source + ": SentencePiece model type " + m.modelTypeName() + " is not supported (LLaMA models are BPE)");
        if (m.precompiledCharsmap > 0 || !(m.normName.isEmpty() || m.normName.equals("identity")))
            throw new IllegalArgumentException(source + ": normalisation '" + m.normName + "' is not supported (LLaMA models use 'identity')");
        if (m.treatWhitespaceAsSuffix) throw new IllegalArgumentException(source + ": treat_whitespace_as_suffix is not supported");
        int n = m.pieces.size();
        pieces = new String[n];
        scores = new float[n];
        types = new int[n];
        java.util.Arrays.fill(byteIds, -1);
        int unk = -1;
        for (int i = 0; i < n; i++) {
            Proto.Piece p = m.pieces.get(i);
            pieces[i] = p.piece;
            scores[i] = p.score;
            types[i] = p.type;
            if (p.piece.isEmpty()) throw new IllegalArgumentException(source + ": piece " + i + " is empty");
            boolean normal = p.type == NORMAL || p.type == USER_DEFINED || p.type == UNUSED;
            Map<String, Integer> target = normal ? normalPieces : reserved;
            if (target.putIfAbsent(p.piece, i) != null) throw new IllegalArgumentException(source + ": piece '" + p.piece + "' is defined twice");
            if (p.type == USER_DEFINED) userDefined.add(p.piece);
            if (p.type == UNKNOWN) {
                if (unk >= 0) throw new IllegalArgumentException(source + ": more than one <unk> piece");
                unk = i;
            }
            if (p.type == BYTE) {
                int b = pieceToByte(p.piece);
                if (b < 0) throw new IllegalArgumentException(source + ": invalid byte piece '" + p.piece + "'");
                byteIds[b] = i;
            }
        }
        if (unk < 0) throw new IllegalArgumentException(source + ": the SentencePiece model defines no <unk> piece");
        byteFallback = m.byteFallback;
        if (byteFallback) for (int b = 0; b < 256; b++)
            if (byteIds[b] < 0) throw new IllegalArgumentException(source + ": byte_fallback is on but piece <0x" + String.format("%02X", b) + "> is missing");
        userDefined.sort((a, b) -> Integer.compare(b.length(), a.length()));
        unkId = unk;
        bosId = m.bosId;
        eosId = m.eosId;
        padId = padOverride >= 0 ? padOverride : (m.padId >= 0 ? m.padId : unk);
        addDummyPrefix = m.addDummyPrefix;
        removeExtraWhitespaces = m.removeExtraWhitespaces;
        escapeWhitespaces = m.escapeWhitespaces;
        unkSurface = m.unkSurface;
        initAddedTokens(addedTokens);
    }

    /** Loads {@code tokenizer.model} with the given added tokens (e.g. {@link AddedTokens#GLAMM}); pad = unk as in GLaMM. */
    public static SentencePieceTokenizer load(Path file, List<String> addedTokens) {
        try {
            return new SentencePieceTokenizer(file.toString(), Files.readAllBytes(file), addedTokens, -1);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read SentencePiece model " + file + ": " + e.getMessage(), e);
        }
    }

    /** From the bytes of a model (e.g. a class-path resource). */
    public static SentencePieceTokenizer fromBytes(byte[] model, String description, List<String> addedTokens) {
        return new SentencePieceTokenizer(description, model, addedTokens, -1);
    }

    /** The sentencepiece pieces of {@code text} (no added-token handling), for inspection. */
    public List<String> pieces(String text) {
        List<String> out = new ArrayList<>();
        for (int id : encodeSegment(text)) out.add(pieces[id]);
        return out;
    }

    @Override public int bosId() { return bosId; }

    @Override public int eosId() { return eosId; }

    @Override public int unkId() { return unkId; }

    @Override public int padId() { return padId; }

    @Override protected int baseVocabSize() { return pieces.length; }

    @Override protected int baseIdOf(String piece) {
        Integer r = reserved.get(piece);
        if (r != null) return r;
        Integer p = normalPieces.get(piece);
        return p == null ? -1 : p;
    }

    @Override protected String baseTokenOf(int id) { return pieces[id]; }

    // ---------------------------------------------------------------- encoding

    private String normalize(String text) {
        StringBuilder sb = new StringBuilder(text.length() + 4);
        String t = text;
        if (removeExtraWhitespaces) {
            int s = 0;
            while (s < t.length() && t.charAt(s) == ' ') s++;
            t = t.substring(s);
            if (t.isEmpty()) return "";
        }
        String ws = escapeWhitespaces ? SPACE : " ";
        if (addDummyPrefix) sb.append(ws);
        boolean prevSpace = removeExtraWhitespaces;
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (c == ' ') {
                if (prevSpace && removeExtraWhitespaces) continue;
                sb.append(ws);
                prevSpace = true;
            } else {
                sb.append(c);
                prevSpace = false;
            }
        }
        if (removeExtraWhitespaces) while (sb.length() > 0 && sb.toString().endsWith(ws)) sb.setLength(sb.length() - ws.length());
        return sb.toString();
    }

    private record SymbolPair(int left, int right, float score, int size) {}

    @Override protected int[] encodeSegment(String text) {
        if (text.isEmpty()) return new int[0];
        String norm = normalize(text);
        if (norm.isEmpty()) return new int[0];
        // split into characters; user-defined symbols stay whole and frozen
        List<int[]> sym = new ArrayList<>(); // {start, end, prev, next, freeze}
        int pos = 0;
        while (pos < norm.length()) {
            int len = 0;
            boolean freeze = false;
            for (String u : userDefined) if (norm.startsWith(u, pos)) { len = u.length(); freeze = true; break; }
            if (len == 0) len = Character.charCount(norm.codePointAt(pos));
            int idx = sym.size();
            sym.add(new int[] {pos, pos + len, idx - 1, -1, freeze ? 1 : 0});
            pos += len;
        }
        for (int i = 0; i + 1 < sym.size(); i++) sym.get(i)[3] = i + 1;
        PriorityQueue<SymbolPair> agenda = new PriorityQueue<>((a, b) -> a.score != b.score ? Float.compare(b.score, a.score) : Integer.compare(a.left, b.left));
        Map<String, String[]> revMerge = new HashMap<>();
        for (int i = 1; i < sym.size(); i++) addPair(norm, sym, agenda, revMerge, i - 1, i);
        while (!agenda.isEmpty()) {
            SymbolPair top = agenda.poll();
            int[] l = sym.get(top.left), r = sym.get(top.right);
            if (l[1] == l[0] || r[1] == r[0] || (l[1] - l[0]) + (r[1] - r[0]) != top.size) continue;
            l[1] = r[1];
            l[3] = r[3];
            if (r[3] >= 0) sym.get(r[3])[2] = top.left;
            r[1] = r[0]; // empty
            addPair(norm, sym, agenda, revMerge, l[2], top.left);
            addPair(norm, sym, agenda, revMerge, top.left, l[3]);
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i != -1; i = sym.get(i)[3]) resegment(norm.substring(sym.get(i)[0], sym.get(i)[1]), revMerge, out);
        // ids: unknown pieces -> bytes (byte fallback) or one <unk> per run
        List<Integer> ids = new ArrayList<>();
        boolean prevUnk = false;
        for (String w : out) {
            int id = baseIdOf(w);
            boolean unk = id < 0 || types[id] == UNKNOWN;
            if (id < 0) id = unkId;
            if (unk && byteFallback) {
                for (byte b : w.getBytes(StandardCharsets.UTF_8)) ids.add(byteIds[b & 0xFF]);
            } else if (!(unk && prevUnk)) {
                ids.add(id);
            }
            prevUnk = unk;
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    private void addPair(String norm, List<int[]> sym, PriorityQueue<SymbolPair> agenda, Map<String, String[]> revMerge, int left, int right) {
        if (left < 0 || right < 0) return;
        int[] l = sym.get(left), r = sym.get(right);
        if (l[4] == 1 || r[4] == 1) return;
        String piece = norm.substring(l[0], l[1]) + norm.substring(r[0], r[1]);
        Integer id = normalPieces.get(piece);
        if (id == null) return;
        agenda.add(new SymbolPair(left, right, scores[id], piece.length()));
        if (types[id] == UNUSED) revMerge.put(piece, new String[] {norm.substring(l[0], l[1]), norm.substring(r[0], r[1])});
    }

    private void resegment(String w, Map<String, String[]> revMerge, List<String> out) {
        int id = baseIdOf(w);
        if (id < 0 || types[id] != UNUSED) {
            out.add(w);
            return;
        }
        String[] p = revMerge.get(w);
        if (p == null) {
            out.add(w);
            return;
        }
        resegment(p[0], revMerge, out);
        resegment(p[1], revMerge, out);
    }

    // ---------------------------------------------------------------- decoding

    @Override protected String decodeSegment(int[] ids) {
        StringBuilder text = new StringBuilder();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        boolean isBosWs = true, bosWsSeen = false;
        for (int id : ids) {
            if (types[id] == BYTE) {
                bytes.write(pieceToByte(pieces[id]));
                continue;
            }
            flushBytes(bytes, text);
            if (bosWsSeen || text.length() > 0) isBosWs = false;
            String piece = pieces[id];
            String decoded;
            boolean hasBosWs = false;
            if (types[id] == CONTROL) decoded = "";
            else if (types[id] == UNKNOWN) decoded = unkSurface;
            else {
                if (isBosWs && (addDummyPrefix || removeExtraWhitespaces) && piece.startsWith(SPACE)) {
                    piece = piece.substring(SPACE.length());
                    hasBosWs = !removeExtraWhitespaces;
                }
                decoded = piece.replace(SPACE, " ");
            }
            bosWsSeen = hasBosWs;
            text.append(decoded);
        }
        flushBytes(bytes, text);
        return text.toString();
    }

    /** UTF-8 decoding of byte pieces; each structurally invalid byte becomes U+FFFD (as sentencepiece). */
    private static void flushBytes(ByteArrayOutputStream bytes, StringBuilder text) {
        if (bytes.size() == 0) return;
        byte[] b = bytes.toByteArray();
        bytes.reset();
        int i = 0;
        while (i < b.length) {
            int len = utf8Len(b, i);
            if (len <= 0) {
                text.append('\uFFFD');
                i++;
            } else {
                text.append(new String(b, i, len, StandardCharsets.UTF_8));
                i += len;
            }
        }
    }

    /** Length of the valid UTF-8 sequence at {@code i}, or 0 if invalid. */
    private static int utf8Len(byte[] b, int i) {
        int c = b[i] & 0xFF;
        int n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        if (n == 0 || i + n > b.length) return 0;
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b, i, n));
            return n;
        } catch (CharacterCodingException e) {
            return 0;
        }
    }

    private static int pieceToByte(String piece) {
        if (piece.length() == 6 && piece.startsWith("<0x") && piece.endsWith(">")) {
            try {
                return Integer.parseInt(piece.substring(3, 5), 16);
            } catch (NumberFormatException e) {
                return -1;
            }
        }
        return -1;
    }

    @Override public String toString() { return "SentencePieceTokenizer[" + source + ", " + vocabSize() + " tokens]"; }

    // ---------------------------------------------------------------- protobuf (sentencepiece_model.proto)

    /** The fields of {@code ModelProto} this tokenizer needs, read with a minimal protobuf wire-format parser. */
    static final class Proto {
        record Piece(String piece, float score, int type) {}

        final List<Piece> pieces = new ArrayList<>();
        int modelType = 1, bosId = 1, eosId = 2, padId = -1;
        boolean byteFallback, treatWhitespaceAsSuffix;
        String unkSurface = " \u2047 ";
        String normName = "";
        int precompiledCharsmap;
        boolean addDummyPrefix = true, removeExtraWhitespaces = true, escapeWhitespaces = true;

        String modelTypeName() {
            return switch (modelType) { case 1 -> "UNIGRAM"; case 2 -> "BPE"; case 3 -> "WORD"; case 4 -> "CHAR"; default -> String.valueOf(modelType); };
        }

        static Proto parse(byte[] data, String src) {
            Proto m = new Proto();
            Reader r = new Reader(data, 0, data.length, src);
            while (r.more()) {
                int tag = r.varint32();
                int field = tag >>> 3, wire = tag & 7;
                if (field == 1 && wire == 2) m.pieces.add(parsePiece(r.sub(), src));
                else if (field == 2 && wire == 2) parseTrainer(r.sub(), m);
                else if (field == 3 && wire == 2) parseNormalizer(r.sub(), m);
                else r.skip(wire);
            }
            return m;
        }

        private static Piece parsePiece(Reader r, String src) {
            String piece = "";
            float score = 0;
            int type = NORMAL;
            while (r.more()) {
                int tag = r.varint32();
                int f = tag >>> 3, w = tag & 7;
                if (f == 1 && w == 2) piece = r.string();
                else if (f == 2 && w == 5) score = r.fixed32f();
                else if (f == 3 && w == 0) type = (int) r.varint();
                else r.skip(w);
            }
            return new Piece(piece, score, type);
        }

        private static void parseTrainer(Reader r, Proto m) {
            while (r.more()) {
                int tag = r.varint32();
                int f = tag >>> 3, w = tag & 7;
                if (f == 3 && w == 0) m.modelType = (int) r.varint();
                else if (f == 35 && w == 0) m.byteFallback = r.varint() != 0;
                else if (f == 24 && w == 0) m.treatWhitespaceAsSuffix = r.varint() != 0;
                else if (f == 41 && w == 0) m.bosId = (int) r.varint();
                else if (f == 42 && w == 0) m.eosId = (int) r.varint();
                else if (f == 43 && w == 0) m.padId = (int) r.varint();
                else if (f == 44 && w == 2) m.unkSurface = r.string();
                else r.skip(w);
            }
        }

        private static void parseNormalizer(Reader r, Proto m) {
            while (r.more()) {
                int tag = r.varint32();
                int f = tag >>> 3, w = tag & 7;
                if (f == 1 && w == 2) m.normName = r.string();
                else if (f == 2 && w == 2) m.precompiledCharsmap = r.sub().remaining();
                else if (f == 3 && w == 0) m.addDummyPrefix = r.varint() != 0;
                else if (f == 4 && w == 0) m.removeExtraWhitespaces = r.varint() != 0;
                else if (f == 5 && w == 0) m.escapeWhitespaces = r.varint() != 0;
                else r.skip(w);
            }
        }
    }

    private static final class Reader {
        private final byte[] d;
        private int p;
        private final int end;
        private final String src;

        Reader(byte[] d, int p, int end, String src) {
            this.d = d;
            this.p = p;
            this.end = end;
            this.src = src;
        }

        boolean more() { return p < end; }

        int remaining() { return end - p; }

        private IllegalArgumentException bad() { return new IllegalArgumentException(src + ": not a valid SentencePiece model (truncated or corrupt protobuf at byte " + p + ")"); }

        long varint() {
            long v = 0;
            for (int s = 0; s < 64; s += 7) {
                if (p >= end) throw bad();
                int b = d[p++] & 0xFF;
                v |= (long) (b & 0x7F) << s;
                if (b < 0x80) return v;
            }
            throw bad();
        }

        int varint32() { return (int) varint(); }

        Reader sub() {
            long len = varint();
            if (len < 0 || p + len > end) throw bad();
            Reader r = new Reader(d, p, (int) (p + len), src);
            p += (int) len;
            return r;
        }

        String string() {
            Reader s = sub();
            return new String(d, s.p, s.end - s.p, StandardCharsets.UTF_8);
        }

        float fixed32f() {
            if (p + 4 > end) throw bad();
            float f = ByteBuffer.wrap(d, p, 4).order(ByteOrder.LITTLE_ENDIAN).getFloat();
            p += 4;
            return f;
        }

        void skip(int wire) {
            switch (wire) {
                case 0 -> varint();
                case 1 -> { if ((p += 8) > end) throw bad(); }
                case 2 -> sub();
                case 5 -> { if ((p += 4) > end) throw bad(); }
                default -> throw bad();
            }
        }
    }
}
