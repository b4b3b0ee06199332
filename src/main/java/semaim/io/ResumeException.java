package semaim.io;

/** Nothing valid to resume from, or a checkpoint that does not fit the run. */
public final class ResumeException extends Exception {
    private static final long serialVersionUID = 1L;

    public ResumeException(String message) {
        super(message);
    }

    public ResumeException(String message, Throwable cause) {
        super(message, cause);
    }
}
