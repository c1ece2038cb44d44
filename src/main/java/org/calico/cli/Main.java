package org.calico.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code ./calico}: the command-line entry point. Every subcommand is registered in {@link #commandLine()}.
 */
@Command(name = "calico", mixinStandardHelpOptions = true, version = "calico 0.1.0",
        description = "CALICO part-focused semantic co-segmentation on the JVM (LibTorch backbone, own CPU/CUDA kernels).",
        subcommands = {CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.addSubcommand("parity", new ParityCommand());
        cl.addSubcommand("info", new InfoCommand());
        cl.addSubcommand("coco-eval", new CocoEvalCommand());
        cl.addSubcommand("synth", new SynthCommand());
        cl.addSubcommand("eval", new EvalCommand());
        cl.addSubcommand("build-dataset", new BuildDatasetCommand());
        cl.addSubcommand("sam", new SamCommand());
        cl.addSubcommand("train", new TrainCommand());
        cl.addSubcommand("segment", new SegmentCommand());
        cl.addSubcommand("predict", new PredictCommand());
        cl.addSubcommand("demo", new DemoCommand());
        cl.addSubcommand("ablation", new AblationCommand());
        cl.setExecutionExceptionHandler((ex, cmd, parse) -> {
            // bad input -> one clear line and exit code 2; a stack trace only with CALICO_DEBUG=1
            cmd.getErr().println("error: " + ex.getMessage());
            if (System.getenv("CALICO_DEBUG") != null) ex.printStackTrace(cmd.getErr());
            return 2;
        });
        return cl;
    }

    public static void main(String[] args) {
        int rc = commandLine().execute(args);
        System.exit(rc);
    }

    @Override public void run() {
        spec.commandLine().usage(System.out);
    }
}
