package org.calico.vision;

import com.fasterxml.jackson.databind.JsonNode;

/** Reads config values from upstream JSON configs with errors that name the key. */
final class Json {
    private Json() {}

    static int i(JsonNode n, String key) {
        JsonNode v = n.get(key);
        if (v == null || !v.canConvertToInt()) throw new IllegalArgumentException("config: '" + key + "' missing or not an integer in " + n);
        return v.asInt();
    }

    static int i(JsonNode n, String key, int dflt) {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) return dflt;
        if (!v.canConvertToInt()) throw new IllegalArgumentException("config: '" + key + "' is not an integer: " + v);
        return v.asInt();
    }

    static double d(JsonNode n, String key, double dflt) {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) return dflt;
        if (!v.isNumber()) throw new IllegalArgumentException("config: '" + key + "' is not a number: " + v);
        return v.asDouble();
    }

    static boolean b(JsonNode n, String key, boolean dflt) {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) return dflt;
        if (!v.isBoolean()) throw new IllegalArgumentException("config: '" + key + "' is not a boolean: " + v);
        return v.asBoolean();
    }

    static String s(JsonNode n, String key, String dflt) {
        JsonNode v = n.get(key);
        return v == null || v.isNull() ? dflt : v.asText();
    }

    /** Upstream uses exact erf GELU ("gelu"); anything else is not implemented here. */
    static void requireGelu(JsonNode n, String key) {
        String act = s(n, key, "gelu");
        if (!act.equals("gelu") && !act.equals("torch.nn.GELU"))
            throw new IllegalArgumentException("config: " + key + " '" + act + "' is not supported (only exact erf GELU, \"gelu\")");
    }

    static void check(boolean ok, String msg) {
        if (!ok) throw new IllegalArgumentException(msg);
    }
}
