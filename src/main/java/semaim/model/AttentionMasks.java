package semaim.model;

import org.bytedeco.pytorch.Tensor;

import semaim.torch.Tensors;

/**
 * The additive attention masks of Eq. 7 (encoder) and Eq. 9 (decoder), built from a per-image order value
 * (smaller = earlier) by pairwise comparison, as the reference does; ranking by argsort gives the same visibility.
 *
 * <p>Token 0 is CLS. The reference's CLS rules, which the paper does not state, are kept: the CLS query sees only
 * the CLS key, and every patch query always sees CLS (so no row is ever fully masked, and the first patch in the
 * order is predicted from CLS alone).
 */
public final class AttentionMasks {
    private static final double BLOCKED = Double.NEGATIVE_INFINITY;

    private AttentionMasks() {}

    /** Eq. 7: query i sees key j iff order_j &lt;= order_i (itself included). (B, N) -> (B, 1, 1+N, 1+N). */
    public static Tensor encoder(Tensor order) {
        return build(order, false);
    }

    /** Eq. 9: query i sees key j iff order_j &lt; order_i (strictly earlier). (B, N) -> (B, 1, 1+N, 1+N). */
    public static Tensor decoder(Tensor order) {
        return build(order, true);
    }

    private static Tensor build(Tensor order, boolean strictlyEarlier) {
        if (order.dim() != 2) {
            throw new IllegalArgumentException("order must be (B, N), got " + order.dim() + " dims");
        }
        long b = order.size(0), n = order.size(1);
        Tensor query = order.unsqueeze(2);                   // (B, N, 1): order of query i
        Tensor key = order.unsqueeze(1);                     // (B, 1, N): order of key j
        Tensor blocked = strictlyEarlier ? key.ge(query) : key.gt(query);             // (B, N, N)
        Tensor patches = order.new_zeros(b, n, n).masked_fill(blocked, Tensors.scalar(BLOCKED));
        Tensor clsRow = Tensors.cat(2, order.new_zeros(b, 1, 1),
                order.new_full(new long[] {b, 1, n}, Tensors.scalar(BLOCKED)));       // (B, 1, 1+N)
        Tensor body = Tensors.cat(2, order.new_zeros(b, n, 1), patches);              // (B, N, 1+N)
        return Tensors.cat(1, clsRow, body).unsqueeze(1);                             // (B, 1, 1+N, 1+N)
    }
}
