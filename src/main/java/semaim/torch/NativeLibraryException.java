package semaim.torch;

/** libtorch cannot be loaded on this machine (e.g. the CUDA build without the CUDA libraries it links to). */
public final class NativeLibraryException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public NativeLibraryException(String message) {
        super(message);
    }
}
