package semaim.eval;

import org.bytedeco.pytorch.Tensor;

import semaim.torch.Tensors;
import semaim.util.NonFiniteException;

/** Classification losses and target encodings shared by the linear probe and fine-tuning. */
final class Losses {
    private Losses() {}

    /** One-hot rows with label smoothing: off = s / K, on = 1 - s + s / K (timm's convention). */
    static float[] smoothOneHot(int[] labels, int classes, double smoothing) {
        float off = (float) (smoothing / classes);
        float on = (float) (1.0 - smoothing + off);
        float[] t = new float[labels.length * classes];
        for (int i = 0; i < labels.length; i++) {
            for (int c = 0; c < classes; c++) {
                t[i * classes + c] = c == labels[i] ? on : off;
            }
        }
        return t;
    }

    /** Soft-target cross-entropy: mean over rows of -sum(target * log_softmax(logits)). */
    static Tensor softCrossEntropy(Tensor logits, Tensor target) {
        return Tensors.sum(target.mul(logits.log_softmax(1)), false, 1).mean().neg();
    }

    /**
     * Adds the top-1 and top-5 hits of {@code b} rows of logits ({@code b x classes}, row-major) to {@code hit}. A
     * non-finite logit is an error: NaN compares false with everything, so it would rank every label first.
     */
    static void addHits(long[] hit, float[] l, int b, int[] labels) {
        int k = l.length / b;
        int bad = NonFiniteException.firstNonFinite(l, 0, l.length);
        if (bad >= 0) {
            throw new NonFiniteException("the classifier gave a non-finite logit (" + l[bad] + ") for sample "
                    + bad / k + "; the model diverged (try a lower --blr)");
        }
        for (int i = 0; i < b; i++) {
            int rank = 0;
            float truth = l[i * k + labels[i]];
            for (int c = 0; c < k; c++) {
                if (c != labels[i] && (l[i * k + c] > truth || (l[i * k + c] == truth && c < labels[i]))) {
                    rank++;
                }
            }
            hit[0] += rank == 0 ? 1 : 0;
            hit[1] += rank < 5 ? 1 : 0;
        }
    }
}
