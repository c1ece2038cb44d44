package org.calico.data;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

/** JSON-lines reading and writing of {@link Sample} and {@link Prediction} records (one compact JSON object per line). */
public final class Jsonl {
    private Jsonl() {}

    /** Shared mapper: unknown fields are ignored (forward compatible), records map by component name. */
    public static final ObjectMapper MAPPER = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    public static List<Sample> readSamples(Path file) {
        return read(file, Sample.class);
    }

    public static List<Prediction> readPredictions(Path file) {
        return read(file, Prediction.class);
    }

    public static <T> List<T> read(Path file, Class<T> type) {
        List<T> out = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                if (line.isBlank()) continue;
                try {
                    out.add(MAPPER.readValue(line, type));
                } catch (JsonProcessingException e) {
                    Throwable c = e.getCause() instanceof IllegalArgumentException ? e.getCause() : e;
                    throw new IllegalArgumentException(file + " line " + n + ": not a valid " + type.getSimpleName() + ": " + firstLine(c.getMessage()), e);
                }
            }
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("file not found: " + file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return out;
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int i = s.indexOf('\n');
        return i < 0 ? s : s.substring(0, i);
    }

    public static String toLine(Object record) {
        try {
            return MAPPER.writeValueAsString(record);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + record.getClass().getSimpleName(), e);
        }
    }

    /** Writes records, one per line (parent folders are created). */
    public static void write(Path file, List<?> records) {
        try (Writer w = new Writer(file)) {
            for (Object o : records) w.write(o);
        }
    }

    /** A streaming JSONL writer. */
    public static final class Writer implements AutoCloseable {
        private final BufferedWriter out;
        private final Path file;

        public Writer(Path file) {
            this.file = file;
            try {
                Path parent = file.toAbsolutePath().getParent();
                if (parent != null) Files.createDirectories(parent);
                out = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + file, e);
            }
        }

        public synchronized void write(Object record) {
            try {
                out.write(toLine(record));
                out.write('\n');
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + file, e);
            }
        }

        @Override public synchronized void close() {
            try {
                out.close();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + file, e);
            }
        }
    }
}
