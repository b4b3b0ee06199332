package semaim.api;

import java.util.Arrays;

import semaim.eval.Features;
import semaim.eval.Knn;
import semaim.eval.LinearProbe;
import semaim.torch.Torch;

/**
 * The standard ways to score embeddings a program already holds (e.g. from {@link Encoder#embed}): weighted k-NN and
 * the linear probe, the same code {@code semaim knn} and {@code semaim linprobe} run. Embeddings are {@code float[]}
 * rows of one width; labels are class indices from 0. Accuracies are percentages.
 */
public final class Probes {
    private Probes() {}

    /**
     * Accuracy on the test rows.
     *
     * @param top1  percent whose class got the most votes (or the highest logit)
     * @param top5  percent whose class was among the five first
     */
    public record Accuracy(double top1, double top5) {}

    /**
     * Settings of the linear probe (the reference's: BatchNorm without affine, then Linear; SGD, momentum 0.9, no
     * weight decay; lr = blr x batch / 256, warm-up then cosine).
     *
     * @param epochs        passes over the training rows; default 30
     * @param batchSize     rows a step; default 256 (fewer rows: all of them)
     * @param blr           base learning rate; default 0.1
     * @param warmupEpochs  linear warm-up; default 0
     * @param seed          the head's initialisation and the batch order; default 0
     */
    public record LinearOptions(int epochs, int batchSize, double blr, double warmupEpochs, long seed) {
        /**
         * The defaults.
         *
         * @return 30 epochs, batch 256, blr 0.1, no warm-up, seed 0
         */
        public static LinearOptions defaults() {
            return new LinearOptions(30, 256, 0.1, 0, 0);
        }

        /**
         * These options with another number of epochs.
         *
         * @param e  passes over the training rows
         * @return the changed options
         */
        public LinearOptions withEpochs(int e) {
            return new LinearOptions(e, batchSize, blr, warmupEpochs, seed);
        }

        /**
         * These options with another seed.
         *
         * @param s  seed of the head's initialisation and the batch order
         * @return the changed options
         */
        public LinearOptions withSeed(long s) {
            return new LinearOptions(epochs, batchSize, blr, warmupEpochs, s);
        }
    }

    /**
     * Weighted k-NN (DINO's protocol): each test row's {@code k} most cosine-similar training rows vote for their
     * class with weight exp(similarity / {@code temperature}).
     *
     * @param train        training rows, each of one width
     * @param trainLabels  their classes, from 0
     * @param test         test rows, of the same width
     * @param testLabels   their classes, from 0
     * @param k            neighbours that vote
     * @param temperature  T of the vote weights
     * @return top-1 and top-5 accuracy on the test rows
     * @throws IllegalArgumentException for rows of different widths, a non-finite value, or k outside 1..rows
     */
    public static Accuracy knn(float[][] train, int[] trainLabels, float[][] test, int[] testLabels, int k,
            double temperature) {
        Torch.init();
        Knn.Accuracy a = Knn.evaluate(set(train, trainLabels, "training"), set(test, testLabels, "test"),
                new int[] {k}, temperature, 512).get(k);
        return new Accuracy(a.top1(), a.top5());
    }

    /**
     * k-NN with DINO's defaults: k = 20, temperature 0.07.
     *
     * @param train        training rows, each of one width
     * @param trainLabels  their classes, from 0
     * @param test         test rows, of the same width
     * @param testLabels   their classes, from 0
     * @return top-1 and top-5 accuracy on the test rows
     */
    public static Accuracy knn(float[][] train, int[] trainLabels, float[][] test, int[] testLabels) {
        return knn(train, trainLabels, test, testLabels, 20, 0.07);
    }

    /**
     * A linear probe trained on the training rows and scored on the test rows.
     *
     * @param train        training rows, each of one width
     * @param trainLabels  their classes, from 0
     * @param test         test rows, of the same width
     * @param testLabels   their classes, from 0
     * @param o            epochs, batch, learning rate, warm-up and seed
     * @return top-1 and top-5 accuracy on the test rows
     */
    public static Accuracy linear(float[][] train, int[] trainLabels, float[][] test, int[] testLabels,
            LinearOptions o) {
        Torch.init();
        Features.Set tr = set(train, trainLabels, "training");
        LinearProbe.Result r = LinearProbe.train(tr, set(test, testLabels, "test"), o.epochs(),
                Math.min(o.batchSize(), tr.rows()), o.blr(), o.warmupEpochs(), o.seed(), e -> { });
        return new Accuracy(r.top1(), r.top5());
    }

    /** Rows and labels as the probes' feature set; classes: one more than the largest label. */
    private static Features.Set set(float[][] rows, int[] labels, String which) {
        if (rows.length == 0 || rows.length != labels.length) {
            throw new IllegalArgumentException("the " + which + " set needs as many labels as rows (and at least one"
                    + " row); got " + rows.length + " rows and " + labels.length + " labels");
        }
        int d = rows[0].length;
        float[] values = new float[rows.length * d];
        for (int i = 0; i < rows.length; i++) {
            if (rows[i].length != d) {
                throw new IllegalArgumentException("the " + which + " rows differ in width: row " + i + " has "
                        + rows[i].length + " values, row 0 has " + d);
            }
            if (labels[i] < 0) {
                throw new IllegalArgumentException("the " + which + " label of row " + i + " is " + labels[i]
                        + "; labels are class indices from 0");
            }
            System.arraycopy(rows[i], 0, values, i * d, d);
        }
        return new Features.Set(values, rows.length, d, labels.clone(), Arrays.stream(labels).max().getAsInt() + 1);
    }
}
