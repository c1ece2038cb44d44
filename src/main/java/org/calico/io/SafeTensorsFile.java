package org.calico.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.calico.runtime.CalicoRuntime;
import org.calico.tensor.DType;

/**
 * Reader for one {@code .safetensors} file (format: 8-byte little-endian header length N, N bytes of UTF-8 JSON,
 * then raw little-endian tensor data). The header is validated completely when the file is opened: header length
 * against the file size and a 100 MB limit, JSON syntax and duplicate keys, dtype names, shapes, byte counts,
 * offsets inside the data section and neither overlapping nor leaving gaps (as the reference implementation
 * demands). Any violation is a {@link CheckpointException} naming the file and key.
 *
 * <p>Tensor data is read through memory mappings of at most 1 GiB each straight into LibTorch-owned memory, so
 * files and tensors larger than 2 GB work. Thread-safe: {@link #load} may be called concurrently.
 */
public final class SafeTensorsFile implements TensorSource {
    /** Same limit as the reference implementation (safetensors' MAX_HEADER_SIZE). */
    public static final long MAX_HEADER_BYTES = 100_000_000L;
    private static final long MAP_CHUNK = 1L << 30;
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final long dataLength;
    private final Map<String, TensorInfo> entries;
    private final Map<String, String> metadata;

    private SafeTensorsFile(Path path, FileChannel channel, long dataStart, long dataLength,
                            Map<String, TensorInfo> entries, Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.dataLength = dataLength;
        this.entries = entries;
        this.metadata = metadata;
    }

    /** Opens and validates {@code path}. */
    public static SafeTensorsFile open(Path path) {
        FileChannel ch;
        try {
            ch = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new CheckpointException("safetensors file not found: " + path);
        } catch (IOException e) {
            throw new CheckpointException("cannot open safetensors file " + path + ": " + e.getMessage(), e);
        }
        try {
            long size = ch.size();
            if (size < 8)
                throw new CheckpointException(path + ": not a safetensors file (" + size + " bytes, the 8-byte header length is missing)");
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long n = lenBuf.getLong(0);
            if (n < 0 || n > MAX_HEADER_BYTES)
                throw new CheckpointException(path + ": header length " + Long.toUnsignedString(n) + " exceeds the limit of "
                        + MAX_HEADER_BYTES + " bytes (corrupt or not a safetensors file)");
            if (n > size - 8)
                throw new CheckpointException(path + ": header length " + n + " exceeds the file size (" + size
                        + " bytes): the file is truncated or not a safetensors file");
            ByteBuffer hb = ByteBuffer.allocate((int) n);
            readFully(ch, hb, 8);
            hb.flip();
            String header;
            try {
                header = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(hb).toString();
            } catch (CharacterCodingException e) {
                throw new CheckpointException(path + ": header is not valid UTF-8");
            }
            HeaderContent hc = parseHeader(header, size - 8 - n, path.toString());
            return new SafeTensorsFile(path, ch, 8 + n, size - 8 - n, hc.entries, hc.metadata);
        } catch (IOException e) {
            closeQuietly(ch);
            throw new CheckpointException("cannot read safetensors file " + path + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    record HeaderContent(Map<String, TensorInfo> entries, Map<String, String> metadata) {}

    /**
     * Parses and validates a header against a data section of {@code dataLength} bytes. Package-private so that the
     * fuzz test can drive it without files.
     */
    static HeaderContent parseHeader(String header, long dataLength, String where) {
        JsonNode root;
        try {
            root = JSON.readTree(header);
        } catch (JsonProcessingException e) {
            throw new CheckpointException(where + ": header is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject())
            throw new CheckpointException(where + ": header must be a JSON object");
        Map<String, TensorInfo> entries = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = root.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode v = e.getValue();
            if (name.equals("__metadata__")) {
                if (!v.isObject()) throw new CheckpointException(where + ": __metadata__ must be an object of strings");
                Iterator<Map.Entry<String, JsonNode>> mi = v.fields();
                while (mi.hasNext()) {
                    Map.Entry<String, JsonNode> m = mi.next();
                    if (!m.getValue().isTextual())
                        throw new CheckpointException(where + ": __metadata__." + m.getKey() + " must be a string");
                    metadata.put(m.getKey(), m.getValue().asText());
                }
                continue;
            }
            entries.put(name, parseEntry(name, v, dataLength, where));
        }
        // offsets: in range (checked per entry), no overlap, no gap, covering the data section
        List<TensorInfo> byOffset = new ArrayList<>(entries.values());
        byOffset.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long expected = 0;
        for (TensorInfo t : byOffset) {
            if (t.begin() < expected)
                throw new CheckpointException(where + ": tensor '" + t.name() + "' data_offsets [" + t.begin() + ", " + t.end()
                        + "] overlap the previous tensor (which ends at " + expected + ")");
            if (t.begin() > expected)
                throw new CheckpointException(where + ": gap in the data section before tensor '" + t.name() + "' (offset "
                        + expected + " to " + t.begin() + " belongs to no tensor)");
            expected = t.end();
        }
        if (expected != dataLength)
            throw new CheckpointException(where + ": data section has " + dataLength + " bytes but the tensors cover " + expected
                    + (expected > dataLength ? " (file truncated)" : " (trailing bytes)"));
        return new HeaderContent(Collections.unmodifiableMap(entries), Collections.unmodifiableMap(metadata));
    }

    private static TensorInfo parseEntry(String name, JsonNode v, long dataLength, String where) {
        if (!v.isObject()) throw new CheckpointException(where + ": entry '" + name + "' must be an object");
        JsonNode dt = v.get("dtype"), sh = v.get("shape"), off = v.get("data_offsets");
        if (dt == null || !dt.isTextual()) throw new CheckpointException(where + ": tensor '" + name + "' has no dtype string");
        if (sh == null || !sh.isArray()) throw new CheckpointException(where + ": tensor '" + name + "' has no shape array");
        if (off == null || !off.isArray() || off.size() != 2)
            throw new CheckpointException(where + ": tensor '" + name + "' needs data_offsets [begin, end]");
        DType dtype;
        try {
            dtype = DType.fromSafetensors(dt.asText());
        } catch (IllegalArgumentException ex) {
            throw new CheckpointException(where + ": tensor '" + name + "': " + ex.getMessage());
        }
        long[] shape = new long[sh.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = sh.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToLong() || d.asLong() < 0)
                throw new CheckpointException(where + ": tensor '" + name + "' has an invalid dimension " + d + " in its shape");
            shape[i] = d.asLong();
            try {
                numel = Math.multiplyExact(numel, shape[i]);
            } catch (ArithmeticException ex) {
                throw new CheckpointException(where + ": tensor '" + name + "' shape " + sh + " overflows");
            }
        }
        JsonNode b = off.get(0), en = off.get(1);
        if (!b.isIntegralNumber() || !en.isIntegralNumber() || !b.canConvertToLong() || !en.canConvertToLong())
            throw new CheckpointException(where + ": tensor '" + name + "' data_offsets must be integers");
        long begin = b.asLong(), end = en.asLong();
        if (begin < 0 || end < begin)
            throw new CheckpointException(where + ": tensor '" + name + "' has invalid data_offsets [" + begin + ", " + end + "]");
        if (end > dataLength)
            throw new CheckpointException(where + ": tensor '" + name + "' data_offsets [" + begin + ", " + end
                    + "] are out of range: the data section has " + dataLength + " bytes (file truncated?)");
        long need;
        try {
            need = Math.multiplyExact(numel, dtype.bytes());
        } catch (ArithmeticException ex) {
            throw new CheckpointException(where + ": tensor '" + name + "' is too large");
        }
        if (end - begin != need)
            throw new CheckpointException(where + ": tensor '" + name + "' is " + dtype + " " + sh + " = " + need
                    + " bytes, but data_offsets give " + (end - begin));
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    public Path path() { return path; }

    public Map<String, TensorInfo> entries() { return entries; }

    public Map<String, String> metadata() { return metadata; }

    @Override public Set<String> names() { return entries.keySet(); }

    @Override public TensorInfo info(String name) {
        TensorInfo t = entries.get(name);
        if (t == null) throw new CheckpointException(path + ": no tensor named '" + name + "'");
        return t;
    }

    @Override public String description() { return path.toString(); }

    /** A new CPU tensor with the data of {@code name}, in the file's dtype. */
    @Override public Tensor load(String name) {
        CalicoRuntime.init();
        TensorInfo t = info(name);
        Tensor out = torch.empty(t.shape(), new TensorOptions(t.dtype().scalarType()), null);
        long bytes = t.byteSize();
        if (bytes == 0) return out;
        BytePointer base = new BytePointer(out.data_ptr());
        try {
            for (long done = 0; done < bytes; done += MAP_CHUNK) {
                long len = Math.min(MAP_CHUNK, bytes - done);
                MappedByteBuffer src = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + t.begin() + done, len);
                ByteBuffer dst = base.position(done).limit(done + len).asBuffer();
                dst.put(src);
            }
        } catch (IOException e) {
            out.close();
            throw new CheckpointException(path + ": cannot read tensor '" + name + "': " + e.getMessage(), e);
        }
        return out;
    }

    /** Raw bytes of {@code name} (a read-only mapping; tensors below 2 GiB). */
    public ByteBuffer raw(String name) {
        TensorInfo t = info(name);
        if (t.byteSize() > Integer.MAX_VALUE)
            throw new CheckpointException(path + ": tensor '" + name + "' is " + t.byteSize() + " bytes, too large for one buffer; use load()");
        try {
            return channel.map(FileChannel.MapMode.READ_ONLY, dataStart + t.begin(), t.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new CheckpointException(path + ": cannot map tensor '" + name + "': " + e.getMessage(), e);
        }
    }

    /** Bytes of the data section (after the header). */
    public long dataLength() { return dataLength; }

    @Override public void close() { closeQuietly(channel); }

    static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            int r = ch.read(buf, pos + buf.position());
            if (r < 0) throw new IOException("unexpected end of file");
        }
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }

    /** Header JSON of a set of entries (with optional metadata), padded with spaces to a multiple of 8 bytes. */
    static byte[] headerBytes(List<TensorInfo> infos, Map<String, String> metadata) {
        ObjectNode root = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode m = root.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        for (TensorInfo t : infos) {
            ObjectNode e = root.putObject(t.name());
            e.put("dtype", t.dtype().safetensorsName());
            var s = e.putArray("shape");
            for (long d : t.shape()) s.add(d);
            var o = e.putArray("data_offsets");
            o.add(t.begin());
            o.add(t.end());
        }
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        int padded = (json.length + 7) & ~7;
        byte[] out = new byte[padded];
        System.arraycopy(json, 0, out, 0, json.length);
        for (int i = json.length; i < padded; i++) out[i] = ' ';
        return out;
    }

    static boolean exists(Path p) { return Files.isRegularFile(p); }
}
