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
    /** Training cannot go on: a dataset too small for one step, or a resume on different data. */
    public static final int TRAINING = 6;
    /** Reading or writing files failed (disk full, permissions, an output path that is not a folder). */
    public static final int IO = 7;
    /** A loss, feature, logit or vote became NaN or infinite: nothing is scored or saved from it. */
    public static final int NON_FINITE = 8;
    /** The run folder is in use by another semaim process (its lock names the holder). */
    public static final int BUSY = 9;
    /** Another process of a multi-process run died, hung past --dist-timeout, or failed (the message names it). */
    public static final int PEER_FAILED = 10;
    /** libtorch cannot be loaded here (the CUDA build on a machine without the CUDA libraries it needs). */
    public static final int NATIVE_LIBRARIES = 11;
    /** Stopped by Ctrl-C (SIGINT) after saving a checkpoint. */
    public static final int INTERRUPTED = 130;
    /** Stopped by SIGTERM after saving a checkpoint (the JVM's own code for a terminated process). */
    public static final int TERMINATED = 143;

    private ExitCodes() {}
}
