package semaim.torch;

import org.bytedeco.javacpp.PointerScope;

/**
 * A region whose native tensors are freed when it closes: {@code try (Scope s = Scope.open()) { ... }}. Wrap each
 * training step, batch or chunk in one so native memory stays flat however long a loop runs; only Java arrays,
 * doubles and tensors created outside the region may leave it. (JavaCPP's {@code PointerScope} underneath: every
 * pointer allocated on this thread while the scope is open is attached to it.)
 */
public final class Scope implements AutoCloseable {
    private final PointerScope inner;

    private Scope() {
        inner = new PointerScope();
    }

    /** Opens a scope on the current thread. */
    public static Scope open() {
        return new Scope();
    }

    @Override
    public void close() {
        inner.close();
    }
}
