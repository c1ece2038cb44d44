package org.calico.kernels;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

import org.junit.platform.engine.discovery.ClassSelector;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Child-JVM entry point of {@link CudaEmulationJavaTest}: in a JVM started with the CPU-emulated kernel library in
 * place of the real one and {@code -Dcalico.kernels.emulatedCuda=true}, runs the given op test classes, whose CPU
 * tensors then take the Java side's CUDA paths (device code 1, CUDA dispatch rules, split-K workspaces, the
 * addmm projections) into the CUDA kernels emulated on the CPU. Exit 0 only when the emulation is really on, at least
 * one test ran and none failed.
 */
public final class EmulatedCudaRunner {
    private EmulatedCudaRunner() {}

    public static void main(String[] args) throws ClassNotFoundException {
        if (!NativeLibrary.emulatedCuda()) {
            System.out.println("emulated CUDA is not on: " + NativeLibrary.cudaStatus());
            System.exit(3);
        }
        System.out.println("kernel library: " + NativeLibrary.buildInfo() + " | " + NativeLibrary.cudaStatus());
        List<ClassSelector> selectors = new ArrayList<>();
        for (String a : args) selectors.add(selectClass(Class.forName(a)));
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request().selectors(selectors).build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        launcher.execute(request, listener);
        TestExecutionSummary s = listener.getSummary();
        PrintWriter out = new PrintWriter(System.out, true);
        s.printFailuresTo(out, 25);
        System.out.printf("emulated CUDA: %d tests, %d succeeded, %d failed, %d skipped%n", s.getTestsFoundCount(),
                s.getTestsSucceededCount(), s.getTotalFailureCount(), s.getTestsSkippedCount());
        System.exit(s.getTestsSucceededCount() > 0 && s.getTotalFailureCount() == 0 ? 0 : 1);
    }
}
