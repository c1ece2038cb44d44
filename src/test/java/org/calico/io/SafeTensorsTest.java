package org.calico.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.calico.TestSupport;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.tensor.T;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
    @TempDir Path tmp;

    @Test
    void roundTripAllDtypesIncludingBf16AndZeroSize() {
        try (PointerScope s = new PointerScope()) {
            T.seed(1);
            Map<String, Tensor> m = new LinkedHashMap<>();
            Tensor f = T.randn(DType.F32, Dev.CPU, 3, 5);
            m.put("f32", f);
            m.put("f16", f.to(DType.F16.scalarType()));
            m.put("bf16", f.to(DType.BF16.scalarType()));
            m.put("i64", T.fromLongs(new long[] {1, -2, Long.MAX_VALUE}, 3));
            m.put("i32", T.fromLongs(new long[] {7, -8}, 2).to(DType.I32.scalarType()));
            m.put("u8", T.fromBytes(new byte[] {0, 1, (byte) 255}, 3));
            m.put("bool", T.fromBytes(new byte[] {1, 0}, 2).to(DType.BOOL.scalarType()));
            m.put("empty", T.zeros(DType.F32, Dev.CPU, 1, 0, 256));
            m.put("scalar", T.fromFloats(new float[] {4.5f}));
            Path p = tmp.resolve("x.safetensors");
            SafeTensors.write(p, m, Map.of("format", "pt"));
            try (SafeTensorsFile r = SafeTensorsFile.open(p)) {
                assertEquals(List.copyOf(m.keySet()), List.copyOf(r.names()));
                assertEquals("pt", r.metadata().get("format"));
                for (var e : m.entrySet()) {
                    Tensor got = r.load(e.getKey());
                    assertEquals(T.dtype(e.getValue()), T.dtype(got), e.getKey());
                    assertArrayEquals(T.shape(e.getValue()), T.shape(got), e.getKey());
                    assertArrayEquals(T.rawBytes(e.getValue()), T.rawBytes(got), e.getKey());
                }
                assertEquals(DType.BF16, r.info("bf16").dtype());
                assertArrayEquals(new long[] {1, 0, 256}, r.info("empty").shape());
                assertEquals(0, r.info("empty").byteSize());
            }
            // header is space padded to a multiple of 8
            try (SafeTensorsFile r = SafeTensorsFile.open(p)) {
                assertEquals(0, (Files.size(p) - r.dataLength() - 8) % 8);
            }
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    @Test
    void readsTheParityFixtureFiles() {
        Path c = TestSupport.parityCase("sam_prompt_encoder_mask");
        assumeTrue(c != null && Files.isDirectory(c), "parity fixtures not present");
        try (PointerScope s = new PointerScope(); SafeTensorsFile io = SafeTensorsFile.open(c.resolve("io.safetensors"));
             SafeTensorsFile w = SafeTensorsFile.open(c.resolve("weights.safetensors"))) {
            TensorInfo sp = io.info("sparse_embeddings");
            assertArrayEquals(new long[] {1, 0, 256}, sp.shape());
            assertEquals(0, io.load("sparse_embeddings").numel());
            assertArrayEquals(new long[] {1, 256, 16, 16}, io.info("dense_embeddings").shape());
            assertArrayEquals(new long[] {2, 128}, w.info("pe_layer.positional_encoding_gaussian_matrix").shape());
            assertTrue(Float.isFinite(T.toFloats(w.load("pe_layer.positional_encoding_gaussian_matrix"))[0]));
        }
        Path pred = TestSupport.parityCase("sam_predictor");
        try (PointerScope s = new PointerScope(); SafeTensorsFile io = SafeTensorsFile.open(pred.resolve("io.safetensors"))) {
            assertEquals(DType.U8, io.info("image").dtype());
            assertEquals(DType.I64, io.info("point_labels").dtype());
            assertArrayEquals(new long[] {200, 150, 3}, T.shape(io.load("image")));
        }
    }

    @Test
    void shardedIndexRoundTrip() {
        try (PointerScope s = new PointerScope()) {
            Map<String, Tensor> m = new LinkedHashMap<>();
            for (int i = 0; i < 5; i++) m.put("layer." + i + ".weight", T.full(DType.F32, Dev.CPU, i, 10, 10));
            Path idx = SafeTensors.writeSharded(tmp, "model", m, 900); // 400 B per tensor -> 3 shards
            assertTrue(Files.exists(tmp.resolve("model-00001-of-00003.safetensors")));
            try (TensorSource src = SafeTensors.open(tmp)) {
                assertEquals(5, src.names().size());
                assertEquals(3.0f, T.toFloats(src.load("layer.3.weight"))[42]);
            }
            try (TensorSource src = SafeTensors.open(idx)) {
                assertEquals(4.0f, T.toFloats(src.load("layer.4.weight"))[0]);
            }
        }
    }

    @Test
    void offsetsBeyondTwoGigabytes() throws IOException {
        // a sparse file: a 2.2 GB U8 tensor followed by a small F32 tensor whose data lies past 2^31
        long big = 2_200_000_000L;
        String header = "{\"big\":{\"dtype\":\"U8\",\"shape\":[" + big + "],\"data_offsets\":[0," + big + "]},"
                + "\"tail\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[" + big + "," + (big + 8) + "]}}";
        byte[] hb = pad(header);
        Path p = tmp.resolve("big.safetensors");
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.write(le(hb.length));
            f.write(hb);
            long tailPos = 8 + hb.length + big;
            f.setLength(tailPos + 8);
            f.seek(tailPos);
            f.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1.25f).putFloat(-3f).array());
        }
        try (PointerScope s = new PointerScope(); SafeTensorsFile r = SafeTensorsFile.open(p)) {
            assertEquals(big, r.info("big").byteSize());
            assertArrayEquals(new float[] {1.25f, -3f}, T.toFloats(r.load("tail")));
        }
    }

    // ------------------------------------------------------------------ malformed files

    static byte[] pad(String json) {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        int n = (b.length + 7) & ~7;
        byte[] out = new byte[n];
        System.arraycopy(b, 0, out, 0, b.length);
        for (int i = b.length; i < n; i++) out[i] = ' ';
        return out;
    }

    static byte[] le(long v) { return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array(); }

    Path file(String name, byte[]... parts) throws IOException {
        Path p = tmp.resolve(name);
        try (var out = Files.newOutputStream(p)) {
            for (byte[] b : parts) out.write(b);
        }
        return p;
    }

    String openError(Path p) {
        return assertThrows(CheckpointException.class, () -> SafeTensorsFile.open(p).close()).getMessage();
    }

    @Test
    void malformedFilesGiveClearErrors() throws IOException {
        assertTrue(openError(file("short", new byte[3])).contains("8-byte header length is missing"));
        assertTrue(openError(file("huge", le(Long.MAX_VALUE), new byte[16])).contains("exceeds the limit"));
        assertTrue(openError(file("neg", le(-8), new byte[16])).contains("exceeds the limit"));
        assertTrue(openError(file("over", le(64), pad("{}"))).contains("exceeds the file size"));
        String ok = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        byte[] h = pad(ok);
        assertTrue(openError(file("trunc", le(h.length), h, new byte[4])).contains("out of range"));
        assertTrue(openError(file("trail", le(h.length), h, new byte[12])).contains("trailing bytes"));
        byte[] bad = pad("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}");
        assertTrue(openError(file("count", le(bad.length), bad, new byte[8])).contains("= 12 bytes, but data_offsets give 8"));
        byte[] ov = pad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}");
        assertTrue(openError(file("overlap", le(ov.length), ov, new byte[12])).contains("overlap"));
        byte[] dt = pad("{\"a\":{\"dtype\":\"Q7\",\"shape\":[2],\"data_offsets\":[0,2]}}");
        assertTrue(openError(file("dtype", le(dt.length), dt, new byte[2])).contains("unsupported safetensors dtype 'Q7'"));
        byte[] js = pad("{\"a\":");
        assertTrue(openError(file("json", le(js.length), js)).contains("not valid JSON"));
        byte[] dup = pad("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}");
        assertTrue(openError(file("dup", le(dup.length), dup, new byte[2])).contains("not valid JSON"));
        assertTrue(assertThrows(CheckpointException.class, () -> SafeTensorsFile.open(tmp.resolve("nope.safetensors")))
                .getMessage().contains("not found"));
    }

    /** Random mutations of a valid header never escape as anything but CheckpointException (or parse fine). */
    @Test
    void fuzzHeaderParser() {
        String base = "{\"__metadata__\":{\"format\":\"pt\"},\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[24,30]}}";
        java.util.Random rnd = new java.util.Random(2024);
        String alphabet = "{}[]\":,0123456789-eE.abcdefxyzFBU168 \\";
        int parsed = 0, rejected = 0;
        for (int i = 0; i < 20000; i++) {
            StringBuilder sb = new StringBuilder(base);
            int edits = 1 + rnd.nextInt(4);
            for (int e = 0; e < edits; e++) {
                int pos = rnd.nextInt(sb.length() + 1);
                switch (rnd.nextInt(3)) {
                    case 0 -> sb.insert(pos, alphabet.charAt(rnd.nextInt(alphabet.length())));
                    case 1 -> { if (pos < sb.length()) sb.deleteCharAt(pos); }
                    default -> { if (pos < sb.length()) sb.setCharAt(pos, alphabet.charAt(rnd.nextInt(alphabet.length()))); }
                }
            }
            long dataLen = rnd.nextInt(4) == 0 ? rnd.nextInt(64) : 30;
            try {
                SafeTensorsFile.HeaderContent hc = SafeTensorsFile.parseHeader(sb.toString(), dataLen, "fuzz");
                // whatever parsed must be self-consistent
                long covered = 0;
                for (TensorInfo t : hc.entries().values()) {
                    assertEquals(t.numel() * t.dtype().bytes(), t.byteSize());
                    assertTrue(t.end() <= dataLen);
                    covered += t.byteSize();
                }
                assertEquals(dataLen, covered);
                parsed++;
            } catch (CheckpointException expected) {
                rejected++;
            }
        }
        assertTrue(rejected > 1000 && parsed > 10, "parsed " + parsed + ", rejected " + rejected);
    }
}
