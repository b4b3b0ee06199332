package semaim.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code semaim} command. */
@Command(name = "semaim", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "SemAIM: semantic-aware autoregressive image modeling (AAAI 2024) on libtorch.",
        subcommands = {PretrainCommand.class, KnnCommand.class, LinprobeCommand.class, FinetuneCommand.class,
            AblateCommand.class, VisualizeCommand.class, ReportCommand.class, BenchCommand.class, BenchDataCommand.class, PackCommand.class,
            BenchCurveCommand.class, LaunchCommand.class, ExportCommand.class, EmbedCommand.class, AttnprobeCommand.class,
            SegmentCommand.class, DetectCommand.class, MakeSegdataCommand.class, MakeClutterCommand.class, MakeDetdataCommand.class, FewLabelsCommand.class,
            CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:success", "1:unexpected error (a bug: the stack trace is printed)", "2:usage error",
            "3:invalid configuration", "4:data error (missing, empty, undecodable or oversized data)",
            "5:resume error or damaged weights (no valid checkpoint; a checkpoint or weights file named fails its"
                + " recorded SHA-256)",
            "6:training cannot go on (data too small for a step, different data on resume)",
            "7:I/O error (disk full, permissions, output path not usable)",
            "8:a loss, feature or logit became NaN or infinite (nothing scored or saved)",
            "9:the run folder is in use by another semaim process",
            "10:another process of a multi-process run died, hung or failed (named in the message)",
            "11:libtorch cannot be loaded (the CUDA build without CUDA 13.1, cuDNN 9.19 and NCCL libraries)",
            "130:interrupted by Ctrl-C (checkpoint saved)", "143:terminated by SIGTERM (checkpoint saved)"},
        footer = {"", "Set SEMAIM_DEBUG=1 to print stack traces with error messages."})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        String rank = System.getenv("RANK");
        if (rank != null && !rank.isBlank() && !rank.trim().equals("0")) {
            // Ranks other than 0 of a multi-process run print only warnings and errors: rank 0 speaks for the run.
            // (slf4j-simple reads this when the first logger is made, which happens after this line.)
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (for tests and embedding). */
    public static int run(String... args) {
        String repeated = repeatedOption(args);
        if (repeated != null) {
            System.err.println("semaim: error: " + repeated + " is given twice; give each option once");
            return ExitCodes.USAGE;
        }
        return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
    }

    /**
     * The first long option given twice (before a {@code --} that ends the options), or null. picocli would not
     * refuse it inside an option group: a second {@code --log-every} starts a new group and silently drops the
     * group's earlier options ({@code --max-steps 3 --log-every 1 --log-every 100} trained for the whole recipe).
     */
    static String repeatedOption(String[] args) {
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (String a : args) {
            if (a.equals("--")) {
                break;
            }
            if (a.startsWith("--") && a.length() > 2) {
                String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
                if (!seen.add(name)) {
                    return name;
                }
            }
        }
        return null;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"semaim " + semaim.io.Provenance.version()
                    + " (libtorch 2.10 via org.bytedeco:pytorch 2.10.0-1.5.13)"};
        }
    }
}
