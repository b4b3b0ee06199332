package semaim.io;

import java.nio.file.Path;

/** A safetensors file that is malformed, truncated or not what it claims to be. */
public final class SafeTensorsException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public SafeTensorsException(Path file, String problem) {
        super(file + ": " + problem);
    }
}
