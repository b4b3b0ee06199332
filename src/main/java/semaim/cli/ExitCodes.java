package semaim.cli;

/** Process exit codes of the {@code semaim} command, one per kind of failure. */
public final class ExitCodes {
    public static final int OK = 0;
    /** An unexpected error (a bug, or a native failure): the message and stack trace are printed. */
    public static final int FAILURE = 1;
    /** Unknown option or malformed value (picocli's own code). */
    public static final int USAGE = 2;
    /** Option values that do not fit together (image size vs patch size, decoder deeper than encoder...). */
    public static final int INVALID_CONFIG = 3;
    /** Data that cannot be used: missing folder, empty dataset, undecodable image, malformed IDX file. */
    public static final int DATA = 4;
    /** Nothing to resume from, or a checkpoint that does not match the run. */
    public static final int RESUME = 5;
    /** Training stopped: diverged loss, or a dataset too small for the batch. */
    public static final int TRAINING = 6;
    /** Reading or writing files failed (disk full, permissions). */
    public static final int IO = 7;
    /** Stopped by Ctrl-C or SIGTERM after saving a checkpoint. */
    public static final int INTERRUPTED = 130;

    private ExitCodes() {}
}
