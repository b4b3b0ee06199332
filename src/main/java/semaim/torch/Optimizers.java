package semaim.torch;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.AdamWOptions;
import org.bytedeco.pytorch.ArchiveWriter;
import org.bytedeco.pytorch.InputArchive;
import org.bytedeco.pytorch.Optimizer;
import org.bytedeco.pytorch.OptimizerParamGroup;
import org.bytedeco.pytorch.OutputArchive;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import semaim.util.NonFiniteException;

/** Typed constructors for libtorch optimisers; the options objects' traps stay in here. */
public final class Optimizers {
    private Optimizers() {}

    /** A group of parameters sharing a weight decay. */
    public record ParamGroup(String name, List<Tensor> params, double weightDecay) {}

    /**
     * AdamW over parameter groups, each with its own weight decay.
     *
     * <p>{@code AdamWOptions.betas()} maps a {@code std::tuple<double, double>}, which libstdc++ lays out in
     * <em>reverse</em>: element 0 of the pointer is beta2. Writing (beta1, beta2) in natural order silently swaps
     * them (measured; see the Bytedeco notes), so this is the only place that writes betas.
     */
    public static AdamW adamW(List<ParamGroup> groups, double lr, double beta1, double beta2, double eps) {
        if (groups.isEmpty()) {
            throw new IllegalArgumentException("AdamW needs at least one parameter group");
        }
        // The first group is given to the constructor with its options as the defaults; the others are added
        // with their own options (the vector type has no push_back in the presets).
        ParamGroup first = groups.get(0);
        AdamW opt = new AdamW(new TensorVector(first.params().toArray(new Tensor[0])),
                options(lr, beta1, beta2, eps, first.weightDecay()));
        for (ParamGroup g : groups.subList(1, groups.size())) {
            opt.add_param_group(new OptimizerParamGroup(new TensorVector(g.params().toArray(new Tensor[0])),
                    options(lr, beta1, beta2, eps, g.weightDecay())));
        }
        return opt;
    }

    private static AdamWOptions options(double lr, double beta1, double beta2, double eps, double weightDecay) {
        AdamWOptions o = new AdamWOptions(lr);
        o.betas().put(0, beta2).put(1, beta1);   // reversed std::tuple layout, see above
        o.eps().put(eps);
        o.weight_decay().put(weightDecay);
        o.amsgrad().put(false);
        return o;
    }

    /** SGD with momentum over one group (the reference's linear-probe optimiser). */
    public static org.bytedeco.pytorch.SGD sgd(List<Tensor> params, double lr, double momentum, double weightDecay) {
        org.bytedeco.pytorch.SGDOptions o = new org.bytedeco.pytorch.SGDOptions(lr);
        o.momentum().put(momentum);
        o.weight_decay().put(weightDecay);
        return new org.bytedeco.pytorch.SGD(new TensorVector(params.toArray(new Tensor[0])), o);
    }

    /**
     * Scales the gradients of {@code params} so that their global L2 norm is at most {@code maxNorm}
     * ({@code torch.nn.utils.clip_grad_norm_}); returns the norm before clipping. {@code maxNorm} infinite: only
     * measures.
     */
    public static double clipGradNorm(List<Tensor> params, double maxNorm) {
        return torch.clip_grad_norm_(new TensorVector(params.toArray(new Tensor[0])), maxNorm);
    }

    /**
     * Saves the optimiser's state (moments, step counts) as a libtorch archive. The bytes go through Java, so a full
     * disk is an {@link IOException} here: libtorch writing the file itself would throw from the archive writer's
     * destructor on the second failed write and abort the process.
     */
    public static void save(Optimizer opt, Path file) throws IOException {
        OutputArchive archive = new OutputArchive();
        opt.save(archive);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING); ChannelWriter writer = new ChannelWriter(ch)) {
            archive.save_to(writer);
            if (writer.failure != null) {
                throw writer.failure;
            }
        }
    }

    /** libtorch's write callback onto a Java channel; after the first failure it only records it. */
    private static final class ChannelWriter extends ArchiveWriter {
        private final FileChannel channel;
        IOException failure;

        ChannelWriter(FileChannel channel) {
            this.channel = channel;
        }

        @Override
        public long call(Pointer data, long size) {
            if (failure == null) {
                try {
                    for (long done = 0; done < size; ) {
                        long n = Math.min(size - done, 1L << 30);
                        ByteBuffer b = new BytePointer(data).position(done).limit(done + n).asBuffer();
                        while (b.hasRemaining()) {
                            channel.write(b);
                        }
                        done += n;
                    }
                } catch (IOException e) {
                    failure = e;
                }
            }
            return size;   // never report a short write: libtorch would throw where it cannot be caught
        }
    }

    /** Loads a state written by {@link #save} into an optimiser over the same parameters. */
    public static void load(Optimizer opt, Path file) {
        InputArchive archive = new InputArchive();
        archive.load_from(file.toString());
        opt.load(archive);
    }

    /** Sets group i's learning rate to {@code lr * scales[i]} (layer-wise decay). */
    public static void setLearningRates(Optimizer opt, double lr, double[] scales) {
        for (long i = 0; i < opt.param_groups().size(); i++) {
            opt.param_groups().get(i).options().set_lr(lr * scales[(int) i]);
        }
    }

    /** Sets the learning rate of every group (for per-iteration schedules). */
    public static void setLearningRate(Optimizer opt, double lr) {
        for (long i = 0; i < opt.param_groups().size(); i++) {
            opt.param_groups().get(i).options().set_lr(lr);
        }
    }

    /**
     * The optimiser's step after a loss of {@code loss} at 0-based {@code epoch}, taken only when the loss is finite:
     * a NaN or infinite loss stops training with the weights as the last finite step left them.
     */
    public static void stepIfFinite(Optimizer opt, double loss, String what, int epoch) {
        if (!Double.isFinite(loss)) {
            throw new NonFiniteException(what + " loss became " + loss + " at epoch " + (epoch + 1)
                    + "; try a lower --blr");
        }
        opt.step();
    }
}
