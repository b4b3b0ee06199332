package semaim.util;

/**
 * A loss, feature, logit or vote became NaN or infinite. Never scored, never saved: a NaN compares false with
 * everything, so a ranking built on it would silently count every sample as correct.
 */
public final class NonFiniteException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public NonFiniteException(String message) {
        super(message);
    }

    /** Index of the first NaN or infinite value, or -1 when all are finite. */
    public static int firstNonFinite(float[] values, int from, int to) {
        for (int i = from; i < to; i++) {
            if (!Float.isFinite(values[i])) {
                return i;
            }
        }
        return -1;
    }
}
