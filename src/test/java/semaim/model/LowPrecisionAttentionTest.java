package semaim.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import semaim.torch.Autocast;
import semaim.torch.Precision;
import semaim.torch.Tensors;

/**
 * Under bf16 autocast the attention stays in bf16: the additive mask takes the region's dtype (an fp32 mask would
 * promote the (B, H, T, T) logits, softmax and backward to fp32), and the fused kernel, which autocast would run
 * in bf16 (15x slower than the explicit path on CPU), is not chosen even for fp32 queries.
 */
class LowPrecisionAttentionTest {
    private static final Device CPU = new Device("cpu");

    @Test
    void theMaskTakesTheAutocastDtypeOnlyInsideARegion() {
        Tensor mask = AttentionMasks.encoder(Tensors.floats(new float[] {2, 0, 1}, 1, 3));
        assertSame(mask, Autocast.inRegionDtype(mask));
        try (Autocast a = Precision.BF16.autocast(CPU)) {
            Tensor low = Autocast.inRegionDtype(mask);
            assertEquals(torch.ScalarType.BFloat16, Tensors.scalarType(low));
            assertTrue(low.to(torch.ScalarType.Float).isinf().equal(mask.isinf()), "-inf kept");
        }
    }

    @Test
    void theFusedKernelIsChosenOnlyForFp32OutsideAutocast() {
        Tensor q = Tensors.zeros(1, 1, 3, 4);
        assertTrue(Attention.fusedIsFaster(q));
        assertFalse(Attention.fusedIsFaster(q.to(torch.ScalarType.BFloat16)));
        try (Autocast a = Precision.BF16.autocast(CPU)) {
            assertFalse(Attention.fusedIsFaster(q), "autocast would run the fused kernel in bf16");
        }
        assertTrue(Attention.fusedIsFaster(q), "the region's end restores the fp32 choice");
    }

    @Test
    void bf16LogitsPlusTheMaskStayBf16() {
        Tensor mask = AttentionMasks.decoder(Tensors.floats(new float[] {1, 0}, 1, 2));   // (1, 1, 3, 3)
        Tensor q = Tensors.zeros(1, 1, 3, 4).to(torch.ScalarType.BFloat16);
        try (Autocast a = Precision.BF16.autocast(CPU)) {
            Tensor w = Attention.weights(q, q, Autocast.inRegionDtype(mask), 0.5);
            assertEquals(torch.ScalarType.BFloat16, Tensors.scalarType(w));
        }
    }
}
