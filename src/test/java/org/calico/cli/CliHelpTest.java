package org.calico.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.junit.jupiter.api.Test;

import picocli.CommandLine;

/** {@code ./calico --help} and every subcommand's {@code --help}: exit 0, a usage text, and no picocli format warning. */
class CliHelpTest {
    @Test
    void everyHelpRendersCleanly() {
        Map<String, CommandLine> subs = Main.commandLine().getSubcommands();
        assertTrue(subs.keySet().containsAll(java.util.List.of("demo", "segment", "train", "eval", "parity", "info", "sam")), subs.keySet().toString());
        help(new String[] {"--help"}, "Usage: calico");
        for (String name : subs.keySet()) help(new String[] {name, "--help"}, "Usage: calico " + name);
    }

    private static void help(String[] args, String expect) {
        PrintStream oldErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        StringWriter out = new StringWriter();
        int rc;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            CommandLine cl = Main.commandLine();
            cl.setOut(new PrintWriter(out));
            rc = cl.execute(args);
        } finally {
            System.setErr(oldErr);
        }
        String e = err.toString(StandardCharsets.UTF_8);
        assertEquals(0, rc, String.join(" ", args) + ": " + e);
        assertTrue(out.toString().contains(expect), String.join(" ", args) + ": " + out);
        assertFalse(e.contains("picocli WARN"), String.join(" ", args) + ": " + e);
    }
}
