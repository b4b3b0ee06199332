package semaim.model;

import org.bytedeco.pytorch.Tensor;

import semaim.order.SimilarityKind;

/**
 * Output of the similarity pass (Eq. 2).
 *
 * @param similarity    S, (B, N): the map chosen by the {@link SimilarityKind}
 * @param clsAttention  the last encoder block's attention from CLS to each patch, mean over heads, (B, N)
 *                      (not renormalised after dropping the CLS key, as the reference)
 * @param tokens        encoder output after the final LayerNorm, (B, 1+N, D), CLS first
 */
public record SimilarityMaps(Tensor similarity, Tensor clsAttention, Tensor tokens) {}
