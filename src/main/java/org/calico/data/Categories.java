package org.calico.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * The category tables of a dataset ({@code categories.json}): object categories with their supercategory (family)
 * and part vocabulary, and part categories. Ids are those used in {@link Segment}.
 */
public record Categories(List<ObjectCategory> objects, List<PartCategory> parts) {
    public record ObjectCategory(int id, String name, String supercategory, List<String> parts) {
        public ObjectCategory {
            parts = parts == null ? List.of() : List.copyOf(parts);
        }
    }

    public record PartCategory(int id, String name) {}

    public Categories {
        objects = List.copyOf(objects);
        parts = List.copyOf(parts);
    }

    public ObjectCategory object(String name) {
        for (ObjectCategory o : objects) if (o.name().equals(name)) return o;
        throw new IllegalArgumentException("unknown object category '" + name + "'");
    }

    public int partId(String name) {
        for (PartCategory p : parts) if (p.name().equals(name)) return p.id();
        throw new IllegalArgumentException("unknown part category '" + name + "'");
    }

    public Map<String, ObjectCategory> objectsByName() {
        Map<String, ObjectCategory> m = new HashMap<>();
        for (ObjectCategory o : objects) m.put(o.name(), o);
        return m;
    }

    public void write(Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            Jsonl.MAPPER.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), this);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    public static Categories read(Path file) {
        try {
            return Jsonl.MAPPER.readValue(file.toFile(), Categories.class);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read categories " + file + ": " + e.getMessage(), e);
        }
    }
}
