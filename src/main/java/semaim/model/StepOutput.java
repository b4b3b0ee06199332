package semaim.model;

import org.bytedeco.pytorch.Tensor;

/**
 * Everything one training step's forward pass produces.
 *
 * @param loss        scalar loss (Eq. 12, mean over patches and values)
 * @param patchLoss   per-patch loss, (B, N), patches in row-major image order
 * @param order       the order used, (B, N): smaller = predicted earlier
 * @param prediction  head output for the patches, (B, N, K), CLS row dropped
 * @param target      the target the prediction was compared with, (B, N, K)
 */
public record StepOutput(Tensor loss, Tensor patchLoss, Tensor order, Tensor prediction, Tensor target) {}
