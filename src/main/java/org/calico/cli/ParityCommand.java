package org.calico.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

import org.calico.parity.ParityResult;
import org.calico.parity.ParityRunner;
import org.calico.runtime.CalicoRuntime;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "parity", mixinStandardHelpOptions = true,
        description = "Run the upstream parity fixtures in DIR: one line per case (PASS/FAIL/UNSUPPORTED, max abs error, "
                + "tolerance) and a summary. Exit code 1 unless every case passes.")
public final class ParityCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR", description = "folder of case folders (e.g. ../shared/parity) or one case folder")
    Path dir;

    @Override public Integer call() {
        CalicoRuntime.init();
        List<ParityResult> rs = ParityRunner.withAllHandlers().runAll(dir, System.out);
        return ParityRunner.allPassed(rs) ? 0 : 1;
    }
}
