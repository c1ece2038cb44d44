package org.calico.data.source;

/** Category-name cleaning as LISA/GLaMM apply it to PACO-LVIS, and splitting of object-part names. */
public final class Names {
    private Names() {}

    /** LVIS-style cleaning: the text before {@code "_("} ({@code car_(automobile)} -> {@code car}); underscores kept. */
    public static String lvis(String name) {
        int i = name.indexOf("_(");
        return (i >= 0 ? name.substring(0, i) : name).trim();
    }

    /** (object, part) of an object-part name. */
    public record ObjectPart(String object, String part) {}

    /**
     * Splits {@code "chair:leg"} (PACO; each side LVIS-cleaned) or {@code "chair's leg"} (ADE20K-Part-234, OV-PARTS
     * writes a plain {@code 's} even after an s) into (object, part); null if the name is neither form.
     */
    public static ObjectPart split(String name) {
        int c = name.indexOf(':');
        if (c > 0) return new ObjectPart(lvis(name.substring(0, c)), lvis(name.substring(c + 1)));
        int a = name.indexOf("'s ");
        if (a > 0) return new ObjectPart(name.substring(0, a).trim(), name.substring(a + 3).trim());
        return null;
    }
}
