package semaim.torch;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas_full;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorBase;
import org.bytedeco.pytorch.VoidTensorHook;

/**
 * Keeps OpenBLAS single-threaded inside libtorch's fused CPU attention, forward and backward.
 *
 * <p>The trap: libtorch multiplies fp32 matrices with OpenBLAS (the presets' BLAS), whose own pthread pool is
 * separate from libtorch's OpenMP pool. The fused attention kernel ({@code cpu_flash_attention}) already splits
 * the work over the OpenMP threads and, inside that parallel region, multiplies small blocks (64 queries x 197
 * keys x 64) that are still above OpenBLAS's threading threshold; the pthread build does not check
 * {@code omp_in_parallel}, so every OpenMP thread hands half of each small product to OpenBLAS's workers, which
 * are busy with the other thread's half: the threads queue, spin and oversubscribe the cores. Measured on 2 cores,
 * (64, 3, 197, 64) fp32 with a mask, forward + backward: 107 ms with OpenBLAS at 2 threads, 44 ms at 1; the
 * large linear layers outside the kernel still want all threads (a (12608, 192) x (192, 768) product: 21 ms on
 * one thread, 15 ms on two).
 *
 * <p>So OpenBLAS runs single-threaded exactly while the kernel does: around the forward call, and during its
 * backward through two gradient hooks, one on the output (runs just before the attention's backward node) and one
 * on each input (runs once its gradient is ready). Thread counts change the partition of a product over rows and
 * columns, not the order of any sum, so results are the same bits either way. OpenBLAS's thread count is global;
 * like every libtorch call in semaim, this assumes one thread drives the model. The switch is undone by the
 * next {@link #restore()}, which the training step also calls after backward in case a hook never ran (an
 * exception in backward).
 *
 * <p>With the nested calls gone, OpenBLAS's workers no longer need to spin: {@code bin/semaim} sets
 * {@code OPENBLAS_THREAD_TIMEOUT=16} (sleep after 2^16 cycles instead of 2^28), and libtorch's second OpenMP
 * thread gets the core the spinning worker held. ViT-Tiny fp32 step on 2 cores: 8.8-9.0 s before, 8.0 s with this
 * class alone, 6.7 s with both. The short timeout without this class is far worse (a step took over 60 s): the
 * nested calls then wake sleeping workers thousands of times per step.
 */
public final class BlasThreads {
    private static volatile boolean available;
    private static int threads = 1;
    private static VoidTensorHook toSingle;
    private static VoidTensorHook toAll;

    private BlasThreads() {}

    /** Binds OpenBLAS's thread control; without OpenBLAS (another BLAS build) every method is a no-op. */
    static synchronized void init() {
        if (available) {
            return;
        }
        try {
            Loader.load(openblas_full.class);   // the thread count comes from setThreads, init's only caller
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            return;
        }
        // JavaCPP callbacks are a limited resource: two hooks are made once and shared by every registration.
        toSingle = new VoidTensorHook() {
            @Override
            public void call(TensorBase grad) {
                openblas_full.openblas_set_num_threads(1);
            }
        };
        toAll = new VoidTensorHook() {
            @Override
            public void call(TensorBase grad) {
                restore();
            }
        };
        // Created inside a caller's PointerScope they would be freed when it closes: keep them for the process.
        toSingle.retainReference();
        toAll.retainReference();
        available = true;
    }

    /** Sets the number of OpenBLAS threads used outside the fused kernels (libtorch's intra-op count). */
    static synchronized void setThreads(int n) {
        init();
        threads = Math.max(1, n);
        restore();
    }

    /** A region in which OpenBLAS runs on the calling thread only; closing it gives the threads back. */
    public static Region single() {
        if (!available) {
            return () -> {};
        }
        openblas_full.openblas_set_num_threads(1);
        return BlasThreads::restore;
    }

    /** What {@link #single()} returns: a try-with-resources region that throws nothing. */
    @FunctionalInterface
    public interface Region extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Makes the backward of the op that produced {@code output} from {@code inputs} run with single-threaded
     * OpenBLAS: from just before its backward node to the first of its inputs' gradients.
     */
    public static void singleDuringBackward(Tensor output, Tensor... inputs) {
        if (!available || !output.requires_grad()) {
            return;
        }
        output.register_hook(toSingle);
        for (Tensor in : inputs) {
            if (in.requires_grad()) {
                in.register_hook(toAll);
            }
        }
    }

    /** Gives OpenBLAS all its threads again (idempotent). */
    public static void restore() {
        if (available) {
            openblas_full.openblas_set_num_threads(threads);
        }
    }
}
