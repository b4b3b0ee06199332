package semaim.target;

import org.bytedeco.pytorch.Tensor;

import semaim.torch.Tensors;

/**
 * The reference's feature target (SemAIM {@code --predict_feature clip|dino|ema}; reference notes section 3):
 * the loss that compares the head's output with a network's tokens, and the similarity map that network gives the
 * semantic order.
 * <pre>
 *   loss = mean over images b and patches t of  sum_f ( p^_btf - y^_btf )^2      (Eq. 12 with features)
 *          p^ = p / max(||p||, 1e-12), y^ likewise (F.normalize), CLS rows dropped
 *        = mean of 2 - 2 cos(p_bt, y_bt)
 *   s_bt = cos(y_b,cls , y_bt),  similarity_bt = (s_bt - min_t s_bt) / (max_t s_bt - min_t s_bt + 1e-6)
 * </pre>
 * The similarity is min-max normalised per image ({@code calculate_similarity}), not the student's softmax of Eq. 2;
 * both are monotone in the cosine, so the semantic centre (their argmax) is the same either way.
 */
public final class FeatureLoss {
    private FeatureLoss() {}

    /** {@code forward_feature_loss}: predictions (B, N, F) against tokens (B, T = 1 + N, F), CLS row first. */
    public static Tensor loss(Tensor prediction, Tensor tokens) {
        long n = prediction.size(1);
        Tensor p = Tensors.l2Normalize(prediction, -1);                         // (B, N, F)
        Tensor y = Tensors.l2Normalize(tokens.narrow(1, 1, n), -1);             // (B, N, F): CLS row dropped
        Tensor d = p.sub(y);
        return Tensors.sum(d.mul(d), false, -1).mean();                         // mean over B x N
    }

    /** {@code calculate_similarity}: (B, T, F) tokens -> (B, N) min-max normalised CLS-patch cosines. */
    public static Tensor similarity(Tensor tokens) {
        long n = tokens.size(1) - 1;
        Tensor z = Tensors.l2Normalize(tokens, -1);
        Tensor s = Tensors.sum(z.narrow(1, 0, 1).mul(z.narrow(1, 1, n)), false, -1);   // (B, N)
        Tensor min = s.amin(new long[] {-1}, true), max = s.amax(new long[] {-1}, true);
        return s.sub(min).div(max.sub(min).add(Tensors.scalar(1e-6)));
    }
}
