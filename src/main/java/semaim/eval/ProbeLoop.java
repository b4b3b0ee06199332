package semaim.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.IntConsumer;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Optimizer;
import org.bytedeco.pytorch.Tensor;

import semaim.torch.DataParallel;
import semaim.torch.Distributed;
import semaim.torch.Optimizers;
import semaim.torch.Scope;
import semaim.torch.Tensors;
import semaim.util.LrSchedule;
import semaim.util.Rng;

/**
 * What the probes on a frozen encoder share: mini-batch training of a head on inputs computed once (features for the
 * linear probe, patch tokens for the attentive probe), and top-1/top-5 accuracy on held-out inputs. The probes differ
 * only in their head and optimiser.
 */
final class ProbeLoop {
    /** Cached inputs: {@code count} rows, each of {@code shape} (e.g. {D} or {N, D}), row-major, and their labels. */
    record Rows(float[] values, int count, long[] shape, int[] labels) {
        static Rows of(Features.Set s) {
            return new Rows(s.values(), s.rows(), new long[] {s.dim()}, s.labels());
        }

        static Rows of(Features.Tokens t) {
            return new Rows(t.values(), t.rows(), new long[] {t.tokens(), t.dim()}, t.labels());
        }

        int per() {
            long p = 1;
            for (long d : shape) {
                p *= d;
            }
            return (int) p;
        }

        /** (B, shape...) of rows {@code from .. from + b - 1}. */
        Tensor slice(int from, int b) {
            int per = per();
            return Tensors.floats(java.util.Arrays.copyOfRange(values, from * per, (from + b) * per), dims(b));
        }

        /** (B, shape...) of the rows {@code picked}, and their labels into {@code y}. */
        Tensor pick(int[] picked, int[] y) {
            int per = per();
            float[] x = new float[picked.length * per];
            for (int k = 0; k < picked.length; k++) {
                System.arraycopy(values, picked[k] * per, x, k * per, per);
                y[k] = labels[picked[k]];
            }
            return Tensors.floats(x, dims(picked.length));
        }

        private long[] dims(int b) {
            long[] d = new long[shape.length + 1];
            d[0] = b;
            System.arraycopy(shape, 0, d, 1, shape.length);
            return d;
        }
    }

    /** The head being trained: its module, forward pass, optimiser and data-parallel reducer. */
    record Head(Module module, Function<Tensor, Tensor> forward, Optimizer optimizer, DataParallel dp) {}

    /** Settings of the loop; {@code what} names the probe in messages. */
    record Settings(String what, int epochs, int batchSize, int classes, double smoothing, LrSchedule schedule,
            long seed, int evalChunk) {}

    private ProbeLoop() {}

    /**
     * Trains {@code head} on {@code train}: each epoch a fresh permutation, global batches of {@code batchSize x
     * ranks} split among the ranks of {@code dist}, the learning rate set per step, soft cross-entropy, the rank-mean
     * loss checked finite. After each epoch rank 0's buffers (BatchNorm statistics) go to every rank and the head is
     * scored on {@code test} (null: NaN). Returns the history [epoch, loss, top1, top5].
     */
    static List<double[]> train(Head head, Rows train, Rows test, Settings s, Distributed dist,
            IntConsumer onEpoch) {
        int world = dist.worldSize(), b = s.batchSize();
        int steps = train.count() / (b * world);
        if (steps == 0) {
            throw new IllegalArgumentException("fewer training inputs (" + train.count() + ") than one batch (" + b
                    + (world > 1 ? " on each of " + world + " processes" : "") + ")");
        }
        Rng rng = new Rng(s.seed());
        List<double[]> history = new ArrayList<>();
        for (int epoch = 0; epoch < s.epochs(); epoch++) {
            int[] order = rng.permutation(train.count());
            head.module().train(true);
            double lossSum = 0;
            for (int step = 0; step < steps; step++) {
                Optimizers.setLearningRate(head.optimizer(), s.schedule().at(epoch + step / (double) steps));
                int[] picked = java.util.Arrays.copyOfRange(order, (step * world + dist.rank()) * b,
                        (step * world + dist.rank() + 1) * b);
                lossSum += step(head, train, picked, s, dist, epoch);
            }
            dist.broadcastFromMain(Tensors.list(head.module().buffers()));   // rank 0's BatchNorm statistics
            double[] acc = test == null ? new double[] {Double.NaN, Double.NaN}
                    : accuracy(head.module(), head.forward(), test, s.evalChunk());
            history.add(new double[] {epoch + 1, lossSum / steps, acc[0], acc[1]});
            onEpoch.accept(epoch + 1);
        }
        return history;
    }

    /** One optimiser step on the rows {@code picked}; returns the loss averaged over the ranks. */
    private static double step(Head head, Rows train, int[] picked, Settings s, Distributed dist, int epoch) {
        int[] y = new int[picked.length];
        try (Scope scope = Scope.open()) {
            Tensor logits = head.forward().apply(train.pick(picked, y));                // (B, classes)
            Tensor loss = Losses.softCrossEntropy(logits, Tensors.floats(Losses.smoothOneHot(y, s.classes(),
                    s.smoothing()), picked.length, s.classes()));
            head.optimizer().zero_grad();
            head.dp().backward(loss, true);
            double l = dist.sum(new double[] {loss.item_double()})[0] / dist.worldSize();
            Optimizers.stepIfFinite(head.optimizer(), l, s.what(), epoch);
            return l;
        }
    }

    /** Top-1 and top-5 accuracy (percent) of {@code forward} on {@code test}, in chunks, eval mode, no gradient. */
    static double[] accuracy(Module module, Function<Tensor, Tensor> forward, Rows test, int chunk) {
        module.eval();
        long[] hit = new long[2];
        for (int start = 0; start < test.count(); start += chunk) {
            int m = Math.min(chunk, test.count() - start);
            try (Scope scope = Scope.open()) {
                Tensor x = test.slice(start, m);
                Tensor logits = Tensors.noGrad(() -> forward.apply(x));
                Losses.addHits(hit, Tensors.toFloats(logits), m,
                        java.util.Arrays.copyOfRange(test.labels(), start, start + m));
            }
        }
        module.train(true);
        return new double[] {100.0 * hit[0] / test.count(), 100.0 * hit[1] / test.count()};
    }
}
