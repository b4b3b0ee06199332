package semaim.torch;

import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;

/**
 * A region whose native tensors are freed when it closes: {@code try (Scope s = Scope.open()) { ... }}. Wrap each
 * training step, batch or chunk in one so native memory stays flat however long a loop runs; only Java arrays,
 * doubles and tensors created outside the region may leave it. (JavaCPP's {@code PointerScope} underneath: every
 * pointer allocated on this thread while the scope is open is attached to it.)
 */
public final class Scope implements AutoCloseable {
    private final PointerScope outer;   // the enclosing scope, which receives what is kept
    private final PointerScope inner;   // null: a nested scope opened outside any scope does nothing

    private Scope(boolean nestedOnly) {
        outer = PointerScope.getInnerScope();
        inner = nestedOnly && outer == null ? null : new PointerScope();
    }

    /** Opens a scope on the current thread. */
    public static Scope open() {
        return new Scope(false);
    }

    /**
     * Opens a scope inside the current one, to free a block's temporaries early; outside any scope (where tensors
     * are left to the garbage collector) it does nothing.
     */
    public static Scope nested() {
        return new Scope(true);
    }

    /**
     * Lets {@code p} outlive this scope: it moves to the enclosing scope (and is freed with it). A block of layers
     * run in its own scope thus frees its intermediate tensors as soon as it returns, keeping only its output (and
     * what autograd saved for backward, which it holds itself): peak memory and allocation churn then follow
     * PyTorch's, where each temporary dies with its last reference.
     */
    public <P extends Pointer> P keep(P p) {
        if (inner != null && outer != null) {
            outer.attach(p);   // retain for the outer scope first: detaching releases the inner scope's reference
            inner.detach(p);
        } else if (inner != null) {
            throw new IllegalStateException("keep() needs an enclosing scope; open this one with nested()");
        }
        return p;
    }

    @Override
    public void close() {
        if (inner != null) {
            inner.close();
        }
    }
}
