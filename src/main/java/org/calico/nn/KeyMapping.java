package org.calico.nn;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A declarative table from a module's parameter names (upstream names, e.g. original SAM) to the names a checkpoint
 * uses (HF, LAVIS, GLaMM, ...). Rules, applied to each module key in this order:
 * <ol>
 *   <li>{@link Builder#fuse fuse}: the module tensor is the concatenation of several checkpoint tensors along a dim
 *       (e.g. a fused qkv from separate query/key/value); a template {@value #ZEROS} stands for zeros shaped like
 *       the first part (BLIP-2's (q_bias, 0, v_bias));</li>
 *   <li>{@link Builder#slice slice}: the module tensor is one of {@code parts} equal chunks of a checkpoint tensor;</li>
 *   <li>{@link Builder#rename rename}s: regex replacements applied in sequence to every resulting key;</li>
 *   <li>{@link Builder#prefix prefix}: prepended last.</li>
 * </ol>
 * Checkpoint keys matching an {@link Builder#ignore ignore} pattern are knowingly unused; module keys matching
 * {@link Builder#optional optional} may be absent (they keep their {@link Init}), e.g. CALICO's CEM/CAM weights when
 * loading a GLaMM checkpoint. Mapping tables live next to the model classes as data, never as string hacks inline.
 */
public final class KeyMapping {
    /** Fuse template meaning "zeros shaped like the first part". */
    public static final String ZEROS = "<zeros>";

    private record Rename(Pattern from, String to) {}

    private record Fuse(Pattern moduleKey, int dim, List<String> templates) {}

    private record Slice(Pattern moduleKey, String template, int dim, int index, int parts) {}

    private final List<Fuse> fuses;
    private final List<Slice> slices;
    private final List<Rename> renames;
    private final String prefix;
    private final List<Pattern> ignore;
    private final List<Pattern> optional;
    private final List<Pattern> reshape;
    private final String name;

    private KeyMapping(Builder b) {
        this.fuses = List.copyOf(b.fuses);
        this.slices = List.copyOf(b.slices);
        this.renames = List.copyOf(b.renames);
        this.prefix = b.prefix;
        this.ignore = List.copyOf(b.ignore);
        this.optional = List.copyOf(b.optional);
        this.reshape = List.copyOf(b.reshape);
        this.name = b.name;
    }

    /** Module keys equal checkpoint keys. */
    public static KeyMapping identity() { return builder("identity").build(); }

    /** Checkpoint keys are {@code prefix + moduleKey}. */
    public static KeyMapping prefixed(String prefix) { return builder("prefix " + prefix).prefix(prefix).build(); }

    public static Builder builder(String name) { return new Builder(name); }

    /** A copy of this mapping with another prefix prepended (e.g. a sub-module inside a bigger checkpoint). */
    public KeyMapping withPrefix(String outer) {
        Builder b = toBuilder();
        b.prefix = outer + prefix;
        b.name = name + " under " + outer;
        return b.build();
    }

    /** A copy of this mapping with more rules. */
    public Builder toBuilder() {
        Builder b = new Builder(name);
        b.fuses.addAll(fuses);
        b.slices.addAll(slices);
        b.renames.addAll(renames);
        b.prefix = prefix;
        b.ignore.addAll(ignore);
        b.optional.addAll(optional);
        b.reshape.addAll(reshape);
        return b;
    }

    public String name() { return name; }

    /**
     * How the module key is read from a checkpoint.
     * kind FUSE: concatenate {@code sourceKeys} along {@code dim} (null entries = zeros like the first part);
     * kind SLICE: chunk {@code index} of {@code parts} of {@code sourceKeys[0]} along {@code dim}; kind COPY: one key.
     */
    public record Resolution(String moduleKey, Kind kind, List<String> sourceKeys, int dim, int index, int parts,
                             boolean reshapeAllowed) {
        public enum Kind { COPY, FUSE, SLICE }
    }

    public Resolution resolve(String moduleKey) {
        boolean rs = reshape.stream().anyMatch(p -> p.matcher(moduleKey).matches());
        for (Fuse f : fuses) {
            Matcher m = f.moduleKey.matcher(moduleKey);
            if (m.matches()) {
                List<String> keys = new ArrayList<>();
                for (String t : f.templates) keys.add(t.equals(ZEROS) ? null : finish(m.replaceAll(t)));
                return new Resolution(moduleKey, Resolution.Kind.FUSE, keys, f.dim, 0, 0, rs);
            }
        }
        for (Slice s : slices) {
            Matcher m = s.moduleKey.matcher(moduleKey);
            if (m.matches())
                return new Resolution(moduleKey, Resolution.Kind.SLICE, List.of(finish(m.replaceAll(s.template))), s.dim, s.index, s.parts, rs);
        }
        return new Resolution(moduleKey, Resolution.Kind.COPY, List.of(finish(moduleKey)), 0, 0, 0, rs);
    }

    private String finish(String key) {
        String k = key;
        for (Rename r : renames) k = r.from.matcher(k).replaceAll(r.to);
        return prefix + k;
    }

    public boolean isIgnored(String sourceKey) {
        for (Pattern p : ignore) if (p.matcher(sourceKey).matches()) return true;
        return false;
    }

    public boolean isOptional(String moduleKey) {
        for (Pattern p : optional) if (p.matcher(moduleKey).matches()) return true;
        return false;
    }

    @Override public String toString() { return "KeyMapping[" + name + "]"; }

    public static final class Builder {
        private final List<Fuse> fuses = new ArrayList<>();
        private final List<Slice> slices = new ArrayList<>();
        private final List<Rename> renames = new ArrayList<>();
        private final List<Pattern> ignore = new ArrayList<>();
        private final List<Pattern> optional = new ArrayList<>();
        private final List<Pattern> reshape = new ArrayList<>();
        private String prefix = "";
        private String name;

        private Builder(String name) { this.name = Objects.requireNonNull(name); }

        public Builder prefix(String p) {
            this.prefix = Objects.requireNonNull(p);
            return this;
        }

        /** Regex replacement (Java syntax, $1 backrefs) applied to every key, after fuse/slice. */
        public Builder rename(String regex, String replacement) {
            renames.add(new Rename(Pattern.compile(regex), replacement));
            return this;
        }

        /** Module key (full match of {@code moduleKeyRegex}) = cat(templates..., dim); templates use $n groups. */
        public Builder fuse(String moduleKeyRegex, int dim, String... templates) {
            fuses.add(new Fuse(Pattern.compile(moduleKeyRegex), dim, List.of(templates)));
            return this;
        }

        /** Module key = chunk {@code index} of {@code parts} of the checkpoint tensor {@code template} along dim. */
        public Builder slice(String moduleKeyRegex, String template, int dim, int index, int parts) {
            slices.add(new Slice(Pattern.compile(moduleKeyRegex), template, dim, index, parts));
            return this;
        }

        /** Checkpoint keys (full regex match) this mapping knowingly leaves unused. */
        public Builder ignore(String sourceKeyRegex) {
            ignore.add(Pattern.compile(sourceKeyRegex));
            return this;
        }

        /** Module keys (full regex match) the checkpoint may lack; they keep their initialisation. */
        public Builder optional(String moduleKeyRegex) {
            optional.add(Pattern.compile(moduleKeyRegex));
            return this;
        }

        /** Module keys whose checkpoint tensor may differ in shape but not in element count (it is reshaped). */
        public Builder allowReshape(String moduleKeyRegex) {
            reshape.add(Pattern.compile(moduleKeyRegex));
            return this;
        }

        public KeyMapping build() { return new KeyMapping(this); }
    }
}
