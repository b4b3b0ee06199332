package semaim.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code semaim} command. */
@Command(name = "semaim", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "SemAIM: semantic-aware autoregressive image modeling (AAAI 2024) on libtorch.",
        subcommands = {PretrainCommand.class, KnnCommand.class, LinprobeCommand.class, FinetuneCommand.class,
            AblateCommand.class, VisualizeCommand.class, ReportCommand.class,
            CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:success", "1:unexpected error", "2:usage error", "3:invalid configuration",
            "4:data error", "5:resume error", "6:training failed", "7:I/O error", "130:interrupted (checkpoint saved)"})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (for tests and embedding). */
    public static int run(String... args) {
        return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
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
