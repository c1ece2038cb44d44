package org.calico.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.calico.tensor.DType;
import org.calico.tensor.T;

/**
 * Entry points for tensor files: {@link #open(Path)} picks the reader from the path (a {@code .safetensors} file, a
 * sharded {@code *.safetensors.index.json}, a directory holding either, or a torch zip checkpoint {@code .pt/.pth/.bin}),
 * and {@link #write} writes a safetensors file.
 */
public final class SafeTensors {
    private SafeTensors() {}

    /** Opens any supported checkpoint as a lazily-read {@link TensorSource}. */
    public static TensorSource open(Path path) {
        if (Files.isDirectory(path)) {
            Path idx = path.resolve("model.safetensors.index.json");
            if (Files.isRegularFile(idx)) return ShardedSafeTensors.open(idx);
            Path single = path.resolve("model.safetensors");
            if (Files.isRegularFile(single)) return SafeTensorsFile.open(single);
            try (var s = Files.list(path)) {
                List<Path> cands = s.filter(p -> p.getFileName().toString().endsWith(".safetensors.index.json")
                        || p.getFileName().toString().endsWith(".safetensors")).sorted().toList();
                for (Path p : cands) if (p.getFileName().toString().endsWith(".index.json")) return ShardedSafeTensors.open(p);
                if (cands.size() == 1) return SafeTensorsFile.open(cands.get(0));
                throw new CheckpointException(path + ": directory holds " + cands.size()
                        + " .safetensors files and no *.safetensors.index.json; name the file to load");
            } catch (IOException e) {
                throw new CheckpointException("cannot list " + path + ": " + e.getMessage(), e);
            }
        }
        String n = path.getFileName().toString();
        if (n.endsWith(".index.json")) return ShardedSafeTensors.open(path);
        if (n.endsWith(".pt") || n.endsWith(".pth") || n.endsWith(".bin") || n.endsWith(".ckpt")) return TorchCheckpoint.read(path);
        return SafeTensorsFile.open(path);
    }

    /** Writes {@code tensors} (any device/dtype among {@link DType}; made contiguous on the CPU) to {@code path}. */
    public static void write(Path path, Map<String, Tensor> tensors, Map<String, String> metadata) {
        try (PointerScope scope = new PointerScope()) {
            List<TensorInfo> infos = new ArrayList<>();
            List<Tensor> data = new ArrayList<>();
            long off = 0;
            for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
                if (e.getKey().equals("__metadata__")) throw new IllegalArgumentException("'__metadata__' is reserved in safetensors");
                Tensor t = e.getValue();
                DType d = T.dtype(t);
                Tensor c = (t.is_cuda() ? t.cpu() : t).detach().contiguous();
                long bytes = c.numel() * d.bytes();
                infos.add(new TensorInfo(e.getKey(), d, T.shape(c), off, off + bytes));
                data.add(c);
                off += bytes;
            }
            byte[] header = SafeTensorsFile.headerBytes(infos, metadata);
            Path parent = path.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer len = ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(header.length);
                len.flip();
                writeFully(ch, len);
                writeFully(ch, ByteBuffer.wrap(header));
                for (int i = 0; i < data.size(); i++) {
                    long bytes = infos.get(i).byteSize();
                    if (bytes == 0) continue;
                    BytePointer p = new BytePointer(data.get(i).data_ptr());
                    for (long done = 0; done < bytes; done += 1L << 30) {
                        long n = Math.min(1L << 30, bytes - done);
                        writeFully(ch, p.position(done).limit(done + n).asBuffer());
                    }
                }
                ch.force(false);
            }
            Files.move(tmp, path, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new CheckpointException("cannot write safetensors file " + path + ": " + e.getMessage(), e);
        }
    }

    public static void write(Path path, Map<String, Tensor> tensors) { write(path, tensors, Map.of()); }

    /** Reads a whole file (or index) into memory. */
    public static StateDict read(Path path) {
        try (TensorSource src = open(path)) {
            return StateDict.copyOf(src);
        }
    }

    /**
     * Writes {@code tensors} as shards of at most {@code maxShardBytes} plus {@code <base>.safetensors.index.json}
     * in {@code dir} (HF layout: {@code model-00001-of-00003.safetensors}).
     */
    public static Path writeSharded(Path dir, String base, Map<String, Tensor> tensors, long maxShardBytes) {
        List<Map<String, Tensor>> shards = new ArrayList<>();
        Map<String, Tensor> cur = new LinkedHashMap<>();
        long curBytes = 0, total = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            long b = e.getValue().numel() * T.dtype(e.getValue()).bytes();
            if (!cur.isEmpty() && curBytes + b > maxShardBytes) {
                shards.add(cur);
                cur = new LinkedHashMap<>();
                curBytes = 0;
            }
            cur.put(e.getKey(), e.getValue());
            curBytes += b;
            total += b;
        }
        if (!cur.isEmpty() || shards.isEmpty()) shards.add(cur);
        Map<String, String> weightMap = new LinkedHashMap<>();
        for (int i = 0; i < shards.size(); i++) {
            String file = String.format("%s-%05d-of-%05d.safetensors", base, i + 1, shards.size());
            write(dir.resolve(file), shards.get(i), Map.of("format", "pt"));
            for (String k : shards.get(i).keySet()) weightMap.put(k, file);
        }
        return ShardedSafeTensors.writeIndex(dir.resolve(base + ".safetensors.index.json"), weightMap, total);
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }
}
