package org.calico.parity;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * One upstream parity fixture: {@code case.json} (module, config under upstream names, input/output names,
 * tolerance) with {@code weights.safetensors} and {@code io.safetensors} beside it. Format: ../shared/parity/README.md.
 */
public record ParityCase(Path dir, String name, String module, String upstream, JsonNode config, List<String> inputs,
                         List<String> outputs, double atol, double rtol, String notes) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public static ParityCase read(Path dir) {
        Path f = dir.resolve("case.json");
        JsonNode n;
        try {
            n = JSON.readTree(Files.readString(f));
        } catch (IOException e) {
            throw new IllegalArgumentException(f + ": cannot read case: " + e.getMessage(), e);
        }
        if (n == null || !n.isObject() || !n.hasNonNull("module"))
            throw new IllegalArgumentException(f + ": not a parity case (no \"module\")");
        return new ParityCase(dir, dir.getFileName().toString(), n.get("module").asText(),
                n.path("upstream").asText(""), n.path("config"), strings(n.path("inputs")), strings(n.path("outputs")),
                n.path("atol").asDouble(1e-4), n.path("rtol").asDouble(1e-3), n.path("notes").asText(""));
    }

    private static List<String> strings(JsonNode a) {
        List<String> out = new ArrayList<>();
        if (a.isArray()) a.forEach(x -> out.add(x.asText()));
        return List.copyOf(out);
    }

    public Path weights() { return dir.resolve("weights.safetensors"); }

    public Path io() { return dir.resolve("io.safetensors"); }

    /** Integer config value, failing with the case name when absent. */
    public long configLong(String key) {
        JsonNode v = config.get(key);
        if (v == null || !v.canConvertToLong()) throw new IllegalArgumentException(name + ": config." + key + " missing or not an integer");
        return v.asLong();
    }

    public double configDouble(String key, double dflt) {
        JsonNode v = config.get(key);
        return v == null || v.isNull() ? dflt : v.asDouble();
    }
}
