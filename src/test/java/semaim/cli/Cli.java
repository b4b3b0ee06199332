package semaim.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Runs the command line as a user would: in this JVM with its output captured, or as a child process. */
public final class Cli {
    private Cli() {}

    /** Exit code and everything printed on stdout and stderr. */
    public record Outcome(int code, String out, String err) {
        /** One error line (log lines aside) and no stack trace. */
        boolean oneLineError() {
            return err.lines().filter(l -> l.contains("error:")).count() == 1 && !err.contains("\tat ")
                    && !err.contains("Exception");
        }
    }

    public static Outcome run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = Main.run(args);
            return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /**
     * {@code semaim args} in a child JVM with this test's class path and native cache, output merged;
     * {@code shellPrefix} (e.g. {@code "ulimit -f 100; "}) runs before it in bash when not null.
     */
    static Process start(List<String> jvmFlags, String shellPrefix, String... args) throws IOException {
        return start(jvmFlags, shellPrefix, java.util.Map.of(), args);
    }

    /** As {@link #start(List, String, String...)}, with {@code env} added to the child's environment. */
    static Process start(List<String> jvmFlags, String shellPrefix, java.util.Map<String, String> env,
            String... args) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "-Xss4m", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"),
                "-Dorg.bytedeco.javacpp.cachedir=" + System.getProperty("org.bytedeco.javacpp.cachedir",
                        Path.of(".javacpp-cache").toAbsolutePath().toString())));
        cmd.addAll(jvmFlags);
        cmd.add("semaim.cli.Main");
        cmd.addAll(List.of(args));
        if (shellPrefix != null) {
            StringBuilder line = new StringBuilder(shellPrefix).append("exec");
            for (String c : cmd) {
                line.append(" '").append(c.replace("'", "'\\''")).append('\'');
            }
            cmd = List.of("bash", "-c", line.toString());
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("OMP_WAIT_POLICY", "passive");
        pb.environment().put("CI", "true");   // plain log lines, no progress bar
        pb.environment().putAll(env);
        return pb.start();
    }
}
