package org.calico.nn;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A {@link KeyMapping} written as JSON, so that a checkpoint whose key names are only known later (e.g. the released
 * CALICO merged checkpoint) can be mapped without code. Rules read the same way as {@link KeyMapping}'s builder: module
 * keys (CALICO's names, e.g. {@code llm.model.layers.0.self_attn.q_proj.weight}) are turned into checkpoint keys.
 * <pre>
 * {
 *   "name":     "PLAN-Lab/CALICO merged",
 *   "fuse":     [{"module": "regex", "dim": 0, "parts": ["template with $1", "&lt;zeros&gt;", ...]}],
 *   "slice":    [{"module": "regex", "source": "template", "dim": 0, "index": 1, "parts": 3}],
 *   "rename":   [["^llm\\.", ""], ["^sam\\.", "model.grounding_encoder."]],
 *   "prefix":   "",
 *   "ignore":   ["regex of checkpoint keys left unused", ...],
 *   "optional": ["regex of module keys the checkpoint may lack", ...],
 *   "reshape":  ["regex of module keys whose tensors may be reshaped", ...]
 * }
 * </pre>
 * Unknown fields are an error (a typo would otherwise silently change the mapping).
 */
public final class KeyMappingFile {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final java.util.Set<String> FIELDS = java.util.Set.of("name", "fuse", "slice", "rename", "prefix", "ignore", "optional", "reshape", "comment");

    private KeyMappingFile() {}

    public static KeyMapping read(Path file) {
        JsonNode n;
        try {
            n = JSON.readTree(Files.readString(file));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read mapping file " + file + ": " + e.getMessage(), e);
        }
        return parse(n, file.toString());
    }

    public static KeyMapping parse(JsonNode n, String where) {
        if (n == null || !n.isObject()) throw new IllegalArgumentException(where + ": a mapping file is a JSON object");
        n.fieldNames().forEachRemaining(f -> {
            if (!FIELDS.contains(f)) throw new IllegalArgumentException(where + ": unknown field '" + f + "' (known: " + FIELDS + ")");
        });
        KeyMapping.Builder b = KeyMapping.builder(n.path("name").asText(where));
        try {
            for (JsonNode f : n.path("fuse")) {
                String[] parts = new String[f.path("parts").size()];
                for (int i = 0; i < parts.length; i++) parts[i] = f.path("parts").get(i).asText();
                if (!f.hasNonNull("module") || parts.length == 0) throw new IllegalArgumentException("fuse rules need \"module\" and \"parts\"");
                b.fuse(f.get("module").asText(), f.path("dim").asInt(0), parts);
            }
            for (JsonNode s : n.path("slice")) {
                if (!s.hasNonNull("module") || !s.hasNonNull("source") || !s.hasNonNull("parts"))
                    throw new IllegalArgumentException("slice rules need \"module\", \"source\" and \"parts\"");
                b.slice(s.get("module").asText(), s.get("source").asText(), s.path("dim").asInt(0), s.path("index").asInt(0), s.get("parts").asInt());
            }
            for (JsonNode r : n.path("rename")) {
                if (!r.isArray() || r.size() != 2) throw new IllegalArgumentException("rename rules are [regex, replacement] pairs, got " + r);
                b.rename(r.get(0).asText(), r.get(1).asText());
            }
            if (n.has("prefix")) b.prefix(n.get("prefix").asText());
            for (JsonNode r : n.path("ignore")) b.ignore(r.asText());
            for (JsonNode r : n.path("optional")) b.optional(r.asText());
            for (JsonNode r : n.path("reshape")) b.allowReshape(r.asText());
        } catch (java.util.regex.PatternSyntaxException e) {
            throw new IllegalArgumentException(where + ": bad regular expression: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
        return b.build();
    }
}
