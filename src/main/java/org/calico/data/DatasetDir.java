package org.calico.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A MixedParts dataset directory: {@code <split>.jsonl} sample files, {@code categories.json}, {@code stats.json},
 * {@code stats.md} and the images (paths in the samples are relative to the directory).
 */
public final class DatasetDir {
    /** The sample format version written into {@code dataset.json}. */
    public static final String FORMAT = "mixedparts-jsonl/1";

    private DatasetDir() {}

    /** Samples of one split plus the directory their image paths are relative to. */
    public record Loaded(Path baseDir, Path file, List<Sample> samples) {}

    /**
     * {@code data} is either a JSONL file (images relative to its folder) or a dataset directory, in which case
     * {@code <split>.jsonl} is read.
     */
    public static Loaded load(Path data, String split) {
        Path file;
        if (Files.isDirectory(data)) {
            file = data.resolve(split + ".jsonl");
            if (!Files.isRegularFile(file))
                throw new IllegalArgumentException("dataset directory " + data + " has no " + split + ".jsonl (pass --split or a .jsonl file)");
        } else if (Files.isRegularFile(data)) {
            file = data;
        } else {
            throw new IllegalArgumentException("dataset not found: " + data);
        }
        Path base = file.toAbsolutePath().getParent();
        List<Sample> samples = Jsonl.readSamples(file);
        for (Sample s : samples) {
            try {
                s.validate();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
            }
        }
        return new Loaded(base, file, samples);
    }
}
