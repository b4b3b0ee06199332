package semaim.io;

import java.io.IOException;

/**
 * Weights that differ from the SHA-256 recorded beside them (a checkpoint's {@code state.json}, or the
 * {@code FILE.sha256} that semaim writes next to an exported file): reading them would give a different model
 * without a word, so a command that was named them stops.
 */
public final class DamagedWeightsException extends IOException {
    private static final long serialVersionUID = 1L;

    public DamagedWeightsException(String message, Throwable cause) {
        super(message, cause);
    }
}
