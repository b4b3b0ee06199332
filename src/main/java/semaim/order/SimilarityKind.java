package semaim.order;

/** What the similarity map S of Eq. 2 compares each patch token with. */
public enum SimilarityKind {
    /** Cosine of the CLS token with each patch token, softmax over patches: Eq. 2 (reference {@code 'cls'}). */
    CLS,
    /** Cosine of the mean patch token with each patch token, softmax (reference {@code 'gap'}). */
    MEAN_TOKEN,
    /** The last block's CLS-row self-attention, mean over heads (reference {@code 'self'}). */
    SELF_ATTENTION
}
