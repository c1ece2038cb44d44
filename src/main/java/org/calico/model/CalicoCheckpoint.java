package org.calico.model;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.bytedeco.pytorch.Tensor;
import org.calico.io.CheckpointException;
import org.calico.io.SafeTensors;
import org.calico.io.TensorSource;
import org.calico.nn.KeyMapping;
import org.calico.nn.Param;
import org.calico.tensor.DType;
import org.calico.tensor.Dev;
import org.calico.text.HfTokenizer;
import org.calico.text.SentencePieceTokenizer;
import org.calico.text.AddedTokens;
import org.calico.text.Tokenizer;
import org.calico.text.WordTokenizer;

/**
 * CALICO's own checkpoint directory: {@code calico.json} (preset, ablation switches, provenance) and
 * {@code model.safetensors} (every weight under {@link CalicoModel}'s names), plus the tokenizer files a
 * {@code file:} tokenizer names. The embedded default model ships in the jar under
 * {@code org/calico/model/calico-tiny/}.
 *
 * <pre>
 * calico.json: {"format": "calico-jvm/1", "preset": "calico-tiny", "use_cem": true, "cam_layers": [2, 3],
 *               "tokenizer": "word:tiny", "dtype": "F32", "produced_by": "...", "metrics": {...}}
 * </pre>
 */
public final class CalicoCheckpoint {
    public static final String CONFIG = "calico.json", WEIGHTS = "model.safetensors";
    public static final String EMBEDDED = "org/calico/model/calico-tiny/";
    private static final ObjectMapper JSON = new ObjectMapper();

    private CalicoCheckpoint() {}

    /** The architecture a checkpoint directory describes (preset + switches). */
    public static CalicoConfig readConfig(JsonNode n, String where) {
        if (n == null || !n.isObject() || !n.hasNonNull("preset"))
            throw new CheckpointException(where + ": not a CALICO checkpoint config (no \"preset\")");
        CalicoConfig c = CalicoConfig.preset(n.get("preset").asText());
        if (n.has("use_cem")) c = c.withCem(n.get("use_cem").asBoolean());
        if (n.has("cam_layers")) {
            int[] l = new int[n.get("cam_layers").size()];
            for (int i = 0; i < l.length; i++) l[i] = n.get("cam_layers").get(i).asInt();
            c = c.withCamLayers(l);
        }
        if (n.has("name")) c = c.withName(n.get("name").asText());
        return c;
    }

    public static ObjectNode configJson(CalicoConfig c, Map<String, String> extra) {
        ObjectNode n = JSON.createObjectNode();
        n.put("format", "calico-jvm/1");
        n.put("name", c.name());
        n.put("preset", c.name().startsWith("calico-7b") ? "calico-7b" : "calico-tiny");
        n.put("use_cem", c.useCem());
        var arr = n.putArray("cam_layers");
        for (int l : c.camLayers()) arr.add(l);
        n.put("tokenizer", c.tokenizer());
        extra.forEach(n::put);
        return n;
    }

    /** Resolves the tokenizer spec of a config: "word:tiny" or "file:&lt;name&gt;" inside {@code dir}. */
    public static Tokenizer tokenizer(String spec, Path dir) {
        if (spec.equals("word:tiny")) return WordTokenizer.tinyDefault();
        if (spec.startsWith("file:")) {
            if (dir == null) throw new CheckpointException("tokenizer '" + spec + "' needs a model directory");
            Path f = dir.resolve(spec.substring(5));
            if (!Files.isRegularFile(f)) throw new CheckpointException("tokenizer file not found: " + f);
            String name = f.getFileName().toString();
            if (name.endsWith(".json")) return HfTokenizer.load(f, AddedTokens.GLAMM);
            return SentencePieceTokenizer.load(f, AddedTokens.GLAMM);
        }
        throw new CheckpointException("unknown tokenizer spec '" + spec + "' (use word:tiny or file:<name>)");
    }

    /** Writes {@code calico.json} and the weights (all of them, or those matching {@code keep}) into {@code dir}. */
    public static void save(CalicoModel m, Path dir, Predicate<String> keep, Map<String, String> extra) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(CONFIG), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(configJson(m.config, extra)));
        } catch (IOException e) {
            throw new CheckpointException("cannot write " + dir.resolve(CONFIG) + ": " + e.getMessage(), e);
        }
        Map<String, Tensor> sd = new LinkedHashMap<>();
        for (Map.Entry<String, Param> e : m.namedParams().entrySet()) if (keep.test(e.getKey())) sd.put(e.getKey(), e.getValue().t());
        SafeTensors.write(dir.resolve(WEIGHTS), sd, Map.of("format", "pt", "calico", m.config.name()));
    }

    /** Loads a checkpoint directory (or {@code "tiny"}, the embedded default) in {@code dtype} on {@code dev}. */
    public static CalicoModel load(String dirOrEmbedded, DType dtype, Dev dev) {
        if (dirOrEmbedded.equals("tiny") || dirOrEmbedded.equals("calico-tiny")) return loadEmbedded(dtype, dev);
        Path dir = Path.of(dirOrEmbedded);
        if (!Files.isDirectory(dir)) throw new CheckpointException("model directory not found: " + dir + " (or use 'tiny' for the embedded model)");
        JsonNode n;
        try {
            n = JSON.readTree(Files.readString(dir.resolve(CONFIG)));
        } catch (java.nio.file.NoSuchFileException e) {
            throw new CheckpointException(dir + " is not a CALICO model directory: " + CONFIG + " is missing");
        } catch (IOException e) {
            throw new CheckpointException("cannot read " + dir.resolve(CONFIG) + ": " + e.getMessage(), e);
        }
        CalicoConfig cfg = readConfig(n, dir.resolve(CONFIG).toString());
        Tokenizer tok = tokenizer(n.path("tokenizer").asText(cfg.tokenizer()), dir);
        CalicoModel m = new CalicoModel(cfg, tok, dtype, dev);
        try (TensorSource src = SafeTensors.open(dir.resolve(WEIGHTS))) {
            m.load(src, KeyMapping.identity(), false);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
        return m;
    }

    /** The embedded calico-tiny (trained on synthetic part-objects; see its calico.json for how it was produced). */
    public static CalicoModel loadEmbedded(DType dtype, Dev dev) {
        Path tmp = null;
        try {
            tmp = Files.createTempDirectory("calico-tiny");
            for (String f : new String[] {CONFIG, WEIGHTS}) {
                try (InputStream in = CalicoCheckpoint.class.getClassLoader().getResourceAsStream(EMBEDDED + f)) {
                    if (in == null) throw new CheckpointException("the embedded calico-tiny model is missing from the jar (" + EMBEDDED + f + ")");
                    Files.copy(in, tmp.resolve(f));
                }
            }
            return load(tmp.toString(), dtype, dev);
        } catch (IOException e) {
            throw new CheckpointException("cannot unpack the embedded model: " + e.getMessage(), e);
        } finally {
            if (tmp != null) deleteQuietly(tmp);
        }
    }

    /** Provenance recorded in a checkpoint's calico.json ("produced_by", "metrics", ...), empty when absent. */
    public static JsonNode embeddedInfo() {
        try (InputStream in = CalicoCheckpoint.class.getClassLoader().getResourceAsStream(EMBEDDED + CONFIG)) {
            return in == null ? JSON.createObjectNode() : JSON.readTree(in);
        } catch (IOException e) {
            return JSON.createObjectNode();
        }
    }

    private static void deleteQuietly(Path dir) {
        try (var s = Files.walk(dir)) {
            List<Path> all = new ArrayList<>(s.toList());
            java.util.Collections.reverse(all);
            for (Path p : all) Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // temp files: best effort
        }
    }
}
