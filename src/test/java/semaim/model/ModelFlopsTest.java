package semaim.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The analytic FLOP count against a count by hand. */
class ModelFlopsTest {
    @Test
    void oneBlockMatchesAHandCount() {
        // T = 5 tokens, D = 8, MLP 32. Linear layers, 2 FLOPs per multiply-add:
        //   qkv 5x8 @ 8x24 = 5*8*24*2 = 1920; proj 5x8 @ 8x8 = 640; fc1 5x8 @ 8x32 = 2560; fc2 5x32 @ 32x8 = 2560.
        // Attention over all heads: q k^T 5x8 @ 8x5 = 400; attention x v 5x5 @ 5x8 = 400.
        long byHand = 1920 + 640 + 2560 + 2560 + 400 + 400;
        assertEquals(8480, byHand);
        assertEquals(byHand, ModelFlops.encoderBlock(5, 8, 32));
        // The decoder block: q, k, v and proj are four 8x8 layers instead of the fused qkv + proj: the same count.
        assertEquals(byHand, ModelFlops.decoderBlock(5, 8, 32));
    }

    @Test
    void aStepIsTheSimilarityPassPlusThreeForwardPasses() {
        // 8 px, patch 4: N = 4 patches, T = 5; width 8, depth 2, 2 heads, decoder 1, 1 channel, MLP head.
        ModelConfig c = new ModelConfig("t", 8, 4, 1, 8, 2, 2, 4.0, 1, HeadType.MLP, 0.0, 1e-6);
        long embed = 4 * 16 * 8 * 2;                        // 4 patches of 16 values -> 8: 1024
        long head = 5 * 8 * 32 * 2 + 5 * 32 * 16 * 2;       // fc1 8 -> 32, fc2 32 -> 16 on 5 tokens: 7680
        assertEquals(1024, ModelFlops.patchEmbed(c));
        assertEquals(7680, ModelFlops.head(c));
        assertEquals(1024 + 2 * 8480, ModelFlops.similarityPass(c));
        assertEquals(1024 + 2 * 8480 + 8480 + 7680, ModelFlops.autoregressiveForward(c));
        assertEquals((1024 + 2 * 8480) + 3 * (1024 + 3 * 8480 + 7680), ModelFlops.trainingStep(c));
    }
}
