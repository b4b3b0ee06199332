package semaim.cli;

/** Nothing valid to resume from, or a checkpoint that does not fit the run. */
final class ResumeException extends Exception {
    private static final long serialVersionUID = 1L;

    ResumeException(String message) {
        super(message);
    }

    ResumeException(String message, Throwable cause) {
        super(message, cause);
    }
}
