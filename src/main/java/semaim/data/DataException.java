package semaim.data;

import java.io.IOException;

/** Data that cannot be used: a missing or empty folder, an undecodable image, a malformed IDX file. */
public final class DataException extends IOException {
    private static final long serialVersionUID = 1L;

    public DataException(String message) {
        super(message);
    }

    public DataException(String message, Throwable cause) {
        super(message, cause);
    }
}
