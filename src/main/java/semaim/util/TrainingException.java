package semaim.util;

/** Training could not go on (diverged loss, dataset too small for the batch, inconsistent resume...). */
public final class TrainingException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public TrainingException(String message) {
        super(message);
    }
}
