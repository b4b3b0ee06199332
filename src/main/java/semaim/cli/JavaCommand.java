package semaim.cli;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line that starts another {@code semaim} JVM like this one: the same java, JVM options (heap, native
 * cache, module access) and class path. Used where semaim runs itself in child processes ({@code launch},
 * {@code bench-curve}).
 */
final class JavaCommand {
    private JavaCommand() {}

    /**
     * {@code java <this JVM's options> [extraJvmOptions] -cp <class path> semaim.cli.Main <args>}. A debugger agent
     * is not passed on (children would fight over its port), nor a thread count that the extra options replace.
     */
    static List<String> semaim(List<String> extraJvmOptions, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            boolean replaced = extraJvmOptions.stream().anyMatch(e -> e.startsWith("-D") && e.contains("=")
                    && a.startsWith(e.substring(0, e.indexOf('=') + 1)));
            if (!a.startsWith("-agentlib:jdwp") && !replaced) {
                cmd.add(a);
            }
        }
        cmd.addAll(extraJvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(args);
        return cmd;
    }
}
