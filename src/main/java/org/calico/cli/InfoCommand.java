package org.calico.cli;

import java.util.concurrent.Callable;

import org.calico.kernels.NativeLibrary;
import org.calico.kernels.NativeOps;
import org.calico.kernels.Ops;
import org.calico.runtime.CalicoRuntime;

import picocli.CommandLine.Command;

@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Runtime facts: LibTorch, threads, native kernel library, CUDA status and kernel backends.")
public final class InfoCommand implements Callable<Integer> {
    @Override public Integer call() {
        CalicoRuntime.init();
        System.out.println("calico 0.1.0");
        System.out.println("java          " + System.getProperty("java.version") + " (" + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ")");
        System.out.println("platform      " + org.bytedeco.javacpp.Loader.getPlatform());
        System.out.println("threads       " + CalicoRuntime.threads());
        System.out.println("native lib    " + NativeLibrary.buildInfo());
        System.out.println("cuda          " + NativeLibrary.cudaStatus());
        System.out.println("cuda stream   " + NativeOps.streamSource());
        System.out.println("kernels       backend per op (-Dcalico.kernels[.<op>]=torch|native; composite whenever autograd needs it)");
        for (String op : Ops.NAMES)
            System.out.printf("  %-24s cpu=%s cuda=%s%n", op, Ops.describe(op, false), Ops.describe(op, true));
        return 0;
    }
}
