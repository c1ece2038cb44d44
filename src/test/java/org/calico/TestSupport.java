package org.calico;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locations shared by tests: the repository root and the upstream parity fixtures (../shared/parity). */
public final class TestSupport {
    private TestSupport() {}

    public static Path repoDir() {
        String p = System.getProperty("calico.repo.dir");
        return p != null ? Path.of(p) : Path.of("").toAbsolutePath();
    }

    /** ../shared/parity when it exists, else null (tests that need it are skipped with an assumption). */
    public static Path parityDir() {
        String p = System.getProperty("calico.parity.dir");
        Path d = p != null ? Path.of(p) : repoDir().resolve("../shared/parity");
        return Files.isDirectory(d) ? d.normalize() : null;
    }

    public static Path parityCase(String name) {
        Path d = parityDir();
        return d == null ? null : d.resolve(name);
    }
}
