package semaim.eval;

import java.util.LinkedHashMap;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;

import semaim.torch.Scope;
import semaim.torch.Tensors;
import semaim.util.NonFiniteException;

/**
 * DINO's weighted k-NN classifier, as the reference's {@code main_knn.py}: features L2-normalised, cosine
 * similarity to every training feature, the k nearest vote for their class with weight exp(sim / T), T = 0.07;
 * top-1 and top-5 accuracy for each k. Test features go through in chunks, so memory is chunk x N_train.
 */
public final class Knn {
    private Knn() {}

    /** Accuracy in percent for one k. */
    public record Accuracy(double top1, double top5) {}

    public static Map<Integer, Accuracy> evaluate(Features.Set train, Features.Set test, int[] ks, double temperature,
            int chunk) {
        if (train.dim() != test.dim()) {
            throw new IllegalArgumentException("train and test features differ in width");
        }
        if (!(temperature > 0) || !Double.isFinite(temperature) || chunk <= 0) {
            throw new IllegalArgumentException("k-NN needs a finite --temperature > 0 and --chunk > 0, got "
                    + temperature + " and " + chunk);
        }
        int kMax = 0;
        for (int k : ks) {
            if (k <= 0 || k > train.rows()) {
                throw new IllegalArgumentException("k = " + k + " must be in 1.." + train.rows());
            }
            kMax = Math.max(kMax, k);
        }
        requireFinite(train, "training");
        requireFinite(test, "test");
        int classes = Math.max(train.classes(), test.classes());
        long[] hits1 = new long[ks.length], hits5 = new long[ks.length];
        try (Scope outer = Scope.open()) {
            Tensor trainT = Tensors.l2Normalize(train.tensor(), 1);                                   // (N, D)
            for (int start = 0; start < test.rows(); start += chunk) {
                int m = Math.min(chunk, test.rows() - start);
                try (Scope scope = Scope.open()) {
                    float[] rows = java.util.Arrays.copyOfRange(test.values(), start * test.dim(),
                            (start + m) * test.dim());
                    Tensor q = Tensors.l2Normalize(Tensors.floats(rows, m, test.dim()), 1);           // (m, D)
                    Tensor sim = q.matmul(trainT.transpose(0, 1));                 // (m, N)
                    Tensors.TopK top = Tensors.topk(sim, kMax, 1);
                    float[] vals = Tensors.toFloats(top.values());                  // (m, kMax), most similar first
                    float[] idx = Tensors.toFloats(top.indices());
                    for (int i = 0; i < m; i++) {
                        int truth = test.labels()[start + i];
                        for (int j = 0; j < ks.length; j++) {
                            double[] votes = new double[classes];
                            for (int r = 0; r < ks[j]; r++) {
                                int neighbour = (int) idx[i * kMax + r];
                                votes[train.labels()[neighbour]] += Math.exp(vals[i * kMax + r] / temperature);
                            }
                            for (double v : votes) {
                                if (!Double.isFinite(v)) {
                                    throw new NonFiniteException("k-NN votes exp(similarity / T) overflow at T = "
                                            + temperature + "; use a larger --temperature");
                                }
                            }
                            int rank = rankOf(votes, truth);
                            hits1[j] += rank == 0 ? 1 : 0;
                            hits5[j] += rank < 5 ? 1 : 0;
                        }
                    }
                }
            }
        }
        Map<Integer, Accuracy> out = new LinkedHashMap<>();
        for (int j = 0; j < ks.length; j++) {
            out.put(ks[j], new Accuracy(100.0 * hits1[j] / test.rows(), 100.0 * hits5[j] / test.rows()));
        }
        return out;
    }

    private static void requireFinite(Features.Set f, String split) {
        int bad = NonFiniteException.firstNonFinite(f.values(), 0, f.values().length);
        if (bad >= 0) {
            throw new NonFiniteException("the " + split + " features hold a non-finite value (" + f.values()[bad]
                    + ") in row " + bad / f.dim() + "; the encoder's weights are damaged or diverged");
        }
    }

    /** Position of {@code truth} when classes are sorted by votes (ties: lower class first, as topk). */
    static int rankOf(double[] votes, int truth) {
        int rank = 0;
        for (int c = 0; c < votes.length; c++) {
            if (c != truth && (votes[c] > votes[truth] || (votes[c] == votes[truth] && c < truth))) {
                rank++;
            }
        }
        return rank;
    }
}
