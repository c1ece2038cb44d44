package org.calico.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.bytedeco.pytorch.Tensor;

/**
 * A sharded checkpoint: {@code *.safetensors.index.json} ({@code {"metadata": {...}, "weight_map": {name: shard}}})
 * plus its shard files, opened lazily. Every shard named in the index must exist and hold exactly the tensors the
 * index assigns to it.
 */
public final class ShardedSafeTensors implements TensorSource {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path index;
    private final Map<String, String> weightMap;
    private final Map<String, SafeTensorsFile> shards;

    private ShardedSafeTensors(Path index, Map<String, String> weightMap, Map<String, SafeTensorsFile> shards) {
        this.index = index;
        this.weightMap = weightMap;
        this.shards = shards;
    }

    public static ShardedSafeTensors open(Path index) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(index));
        } catch (java.nio.file.NoSuchFileException e) {
            throw new CheckpointException("index file not found: " + index);
        } catch (IOException e) {
            throw new CheckpointException(index + ": cannot read index: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject() || !root.has("weight_map") || !root.get("weight_map").isObject())
            throw new CheckpointException(index + ": not a safetensors index (no \"weight_map\" object)");
        Map<String, String> wm = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = root.get("weight_map").fields();
        while (it.hasNext()) {
            var e = it.next();
            if (!e.getValue().isTextual()) throw new CheckpointException(index + ": weight_map." + e.getKey() + " must be a file name");
            String f = e.getValue().asText();
            if (f.contains("/") || f.contains("\\") || f.equals("..")) throw new CheckpointException(index + ": shard name '" + f + "' must be a plain file name");
            wm.put(e.getKey(), f);
        }
        Map<String, SafeTensorsFile> shards = new LinkedHashMap<>();
        Path dir = index.toAbsolutePath().getParent();
        try {
            for (String f : new java.util.LinkedHashSet<>(wm.values())) shards.put(f, SafeTensorsFile.open(dir.resolve(f)));
            for (var e : wm.entrySet()) {
                if (!shards.get(e.getValue()).names().contains(e.getKey()))
                    throw new CheckpointException(index + ": tensor '" + e.getKey() + "' is mapped to shard " + e.getValue() + " which does not contain it");
            }
        } catch (RuntimeException ex) {
            shards.values().forEach(SafeTensorsFile::close);
            throw ex;
        }
        return new ShardedSafeTensors(index, Collections.unmodifiableMap(wm), shards);
    }

    static Path writeIndex(Path index, Map<String, String> weightMap, long totalBytes) {
        ObjectNode root = JSON.createObjectNode();
        root.putObject("metadata").put("total_size", totalBytes);
        ObjectNode wm = root.putObject("weight_map");
        weightMap.forEach(wm::put);
        try {
            Files.writeString(index, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root));
        } catch (IOException e) {
            throw new CheckpointException("cannot write " + index + ": " + e.getMessage(), e);
        }
        return index;
    }

    private SafeTensorsFile shardOf(String name) {
        String f = weightMap.get(name);
        if (f == null) throw new CheckpointException(index + ": no tensor named '" + name + "'");
        return shards.get(f);
    }

    @Override public Set<String> names() { return weightMap.keySet(); }

    @Override public TensorInfo info(String name) { return shardOf(name).info(name); }

    @Override public Tensor load(String name) { return shardOf(name).load(name); }

    @Override public String description() { return index.toString(); }

    @Override public void close() { shards.values().forEach(SafeTensorsFile::close); }
}
