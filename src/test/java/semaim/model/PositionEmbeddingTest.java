package semaim.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The test vector of the reference note, section 1.3 (ViT-B, 14x14 grid, token t=16 at row 1, column 2). */
class PositionEmbeddingTest {
    @Test
    void matchesTheNotesTestVector() {
        float[] pe = PositionEmbedding.sinCos2d(768, 14, 14);
        int row = (1 + 16) * 768;   // +1: the CLS row comes first
        assertEquals(0.909297, pe[row], 1e-6);          // sin(2): column 2, first half
        assertEquals(0.944237, pe[row + 1], 1e-6);      // sin(2 * 0.953162)
        assertEquals(-0.416147, pe[row + 192], 1e-6);   // cos(2)
        assertEquals(1.0, pe[row + 383], 1e-6);         // cos(2 * omega_191)
        assertEquals(0.841471, pe[row + 384], 1e-6);    // sin(1): row 1, second half
        assertEquals(0.540302, pe[row + 576], 1e-6);    // cos(1)
        assertEquals(1.0, pe[row + 767], 1e-6);
    }

    @Test
    void clsRowIsZeroAndPatchZeroIsSinZeroCosOne() {
        float[] pe = PositionEmbedding.sinCos2d(64, 3, 3);
        for (int i = 0; i < 64; i++) {
            assertEquals(0f, pe[i]);
        }
        for (int i = 0; i < 16; i++) {   // patch (0,0): sines 0, cosines 1 in both halves
            assertEquals(0f, pe[64 + i]);
            assertEquals(1f, pe[64 + 16 + i]);
            assertEquals(0f, pe[64 + 32 + i]);
            assertEquals(1f, pe[64 + 48 + i]);
        }
    }
}
