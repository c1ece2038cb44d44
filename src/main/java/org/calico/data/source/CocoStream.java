package org.calico.data.source;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Streams the top-level arrays of a COCO-style JSON file element by element (PACO-LVIS train is large), calling a
 * handler per element of the named arrays; other keys are skipped.
 */
final class CocoStream {
    private CocoStream() {}

    static void read(Path file, Map<String, Consumer<JsonNode>> handlers) {
        ObjectMapper om = new ObjectMapper();
        try (InputStream in = Files.newInputStream(file); JsonParser p = om.getFactory().createParser(in)) {
            if (p.nextToken() != JsonToken.START_OBJECT) throw new IllegalArgumentException(file + ": a COCO file must be a JSON object");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                Consumer<JsonNode> h = handlers.get(name);
                if (h != null && t == JsonToken.START_ARRAY) {
                    while (p.nextToken() != JsonToken.END_ARRAY) h.accept(om.readTree(p));
                } else {
                    p.skipChildren();
                }
            }
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("file not found: " + file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot parse " + file + ": " + e.getMessage(), e);
        }
    }

    static long id(JsonNode n, String key, Path file, String what) {
        JsonNode v = n.get(key);
        if (v == null || !v.isIntegralNumber())
            throw new IllegalArgumentException(file + ": " + what + " needs an integer '" + key + "', got " + (v == null ? "nothing" : v));
        return v.asLong();
    }

    static String text(JsonNode n, String key, Path file, String what) {
        JsonNode v = n.get(key);
        if (v == null || !v.isTextual()) throw new IllegalArgumentException(file + ": " + what + " needs a string '" + key + "'");
        return v.asText();
    }
}
