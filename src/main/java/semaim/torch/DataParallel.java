package semaim.torch;

import java.util.List;

import org.bytedeco.pytorch.BoolVector;
import org.bytedeco.pytorch.Reducer;
import org.bytedeco.pytorch.SizeTVector;
import org.bytedeco.pytorch.SizeTVectorVector;
import org.bytedeco.pytorch.SizeTStringMap;
import org.bytedeco.pytorch.T_SizeTVectorVectorSizeTVector_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Gradient averaging across ranks with PyTorch's own DDP engine, {@code c10d::Reducer}: the one behind
 * {@code torch.nn.parallel.DistributedDataParallel}. It hooks every parameter's gradient accumulator, packs
 * gradients into buckets of {@code bucketBytes} (the first one 1 MiB, as DDP's default) in the order backward
 * produces them, and starts each bucket's all-reduce as soon as it is full, so communication overlaps the rest of
 * backward; the buckets are rebuilt once, after the first step, from the order gradients really arrived in. Each
 * gradient is divided by the world size while it is copied into its bucket, so after backward every rank holds the
 * mean gradient, as with DDP.
 *
 * <p>Use, per optimiser step of {@code k} accumulated micro-batches: {@code backward(loss, sync)} with
 * {@code sync = false} for the first {@code k-1} (DDP's {@code no_sync()}: gradients only accumulate locally) and
 * {@code true} for the last, whose backward reduces the accumulated sums.
 */
public final class DataParallel {
    /** DDP's default bucket size, {@code bucket_cap_mb=25}. */
    public static final int DEFAULT_BUCKET_MB = 25;
    private static final long FIRST_BUCKET_BYTES = 1L << 20;

    private static final DataParallel NONE = new DataParallel();

    private final Distributed dist;
    private final Reducer reducer;
    private final TensorVector params;   // kept: the reducer holds references into this vector's tensors

    private DataParallel() {
        dist = Distributed.single();
        reducer = null;
        params = null;
    }

    private DataParallel(Distributed dist, List<Tensor> parameters, long bucketBytes, boolean findUnused) {
        this.dist = dist;
        this.params = new TensorVector(parameters.toArray(new Tensor[0]));
        SizeTVector caps = new SizeTVector(2);
        caps.put(0, Math.min(FIRST_BUCKET_BYTES, bucketBytes));
        caps.put(1, bucketBytes);
        BoolVector sparse = new BoolVector(params.size());
        for (long i = 0; i < params.size(); i++) {
            sparse.put(i, false);
        }
        T_SizeTVectorVectorSizeTVector_T assignment = torch.compute_bucket_assignment_by_size(params, caps);
        SizeTVectorVector buckets = reversed(assignment.get0());   // DDP reverses: backward runs last layer first
        this.reducer = new Reducer(params, buckets, dist.group(), sparse, bucketBytes, findUnused,
                /* gradient_as_bucket_view */ false, new SizeTStringMap(), Math.min(FIRST_BUCKET_BYTES, bucketBytes),
                /* skip_all_reduce_unused_params */ false, /* use_python_reducer */ false);
    }

    /** No averaging: a single process. */
    public static DataParallel none() {
        return NONE;
    }

    /**
     * Gradient averaging of {@code parameters} (every one of which must receive a gradient each step) over the ranks
     * of {@code dist}; {@link #none()} for a single process.
     */
    public static DataParallel over(Distributed dist, List<Tensor> parameters, int bucketMb) {
        return over(dist, parameters, bucketMb, false);
    }

    /**
     * As above; with {@code findUnused} (DDP's {@code find_unused_parameters}) some parameters may get no gradient
     * in a step (e.g. the final norm of an encoder fine-tuned with mean pooling): backward's graph is walked once per
     * step to mark them ready.
     */
    public static DataParallel over(Distributed dist, List<Tensor> parameters, int bucketMb, boolean findUnused) {
        if (!dist.enabled()) {
            return NONE;
        }
        if (bucketMb <= 0) {
            throw new IllegalArgumentException("--bucket-mb must be positive, got " + bucketMb);
        }
        return new DataParallel(dist, parameters, (long) bucketMb << 20, findUnused);
    }

    private static SizeTVectorVector reversed(SizeTVectorVector v) {
        long n = v.size();
        SizeTVectorVector r = new SizeTVectorVector(n);
        for (long i = 0; i < n; i++) {
            r.put(i, v.get(n - 1 - i));
        }
        return r;
    }

    /** Whether gradients are averaged across processes. */
    public boolean active() {
        return reducer != null;
    }

    /**
     * {@code loss.backward()}; with {@code sync}, every rank leaves it holding the mean gradient over ranks (the
     * all-reduce overlaps backward bucket by bucket); without, gradients only accumulate on this rank.
     */
    public void backward(Tensor loss, boolean sync) {
        if (reducer == null || !sync) {
            loss.backward();
            return;
        }
        try {
            reducer.rebuild_buckets();       // as DDP's forward: once, after the first step recorded the order
            reducer.prepare_for_forward();
            reducer.prepare_for_backward(new TensorVector(loss));
            loss.backward();
        } catch (RuntimeException e) {
            throw dist.peerFailure("averaging gradients", e);
        }
    }
}
