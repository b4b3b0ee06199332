package semaim.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

import semaim.torch.Tensors;

/**
 * Eq. 7 and Eq. 9 on a 3x3 grid with the hand-written order P = [3, 1, 4, 0, 8, 2, 7, 5, 6] (patch t is predicted
 * P_t-th). Rows are queries, columns keys, token 0 = CLS; 1 = visible. The expected matrices were written by hand.
 */
class AttentionMasksTest {
    static final float[] ORDER = {3, 1, 4, 0, 8, 2, 7, 5, 6};

    static final String[] ENCODER = {
        "1000000000",   // CLS sees only CLS
        "1110101000",   // patch 0 (P=3): patches 0, 1, 3, 5 and itself
        "1010100000",   // patch 1 (P=1): patches 1, 3
        "1111101000",   // patch 2 (P=4)
        "1000100000",   // patch 3 (P=0): only itself (and CLS)
        "1111111111",   // patch 4 (P=8): everything
        "1010101000",   // patch 5 (P=2)
        "1111101111",   // patch 6 (P=7): all but patch 4
        "1111101010",   // patch 7 (P=5)
        "1111101011",   // patch 8 (P=6)
    };

    static final String[] DECODER = {
        "1000000000",
        "1010101000",   // patch 0: 1, 3, 5 (not itself)
        "1000100000",   // patch 1: 3
        "1110101000",
        "1000000000",   // patch 3, first in the order: only CLS
        "1111101111",
        "1010100000",
        "1111101011",
        "1111101000",
        "1111101010",
    };

    @Test
    void encoderMaskIsEq7WithClsRules() {
        check(AttentionMasks.encoder(Tensors.floats(ORDER, 1, 9)), ENCODER);
    }

    @Test
    void decoderMaskIsEq9WithClsRules() {
        check(AttentionMasks.decoder(Tensors.floats(ORDER, 1, 9)), DECODER);
    }

    @Test
    void batchedImagesGetTheirOwnMasks() {
        float[] reversed = new float[9];
        for (int t = 0; t < 9; t++) {
            reversed[t] = 8 - ORDER[t];
        }
        float[] both = new float[18];
        System.arraycopy(ORDER, 0, both, 0, 9);
        System.arraycopy(reversed, 0, both, 9, 9);
        Tensor m = AttentionMasks.encoder(Tensors.floats(both, 2, 9));
        assertArrayEquals(new long[] {2, 1, 10, 10}, Tensors.shape(m));
        check(m.narrow(0, 0, 1), ENCODER);
        // Image 1: patch 4 is now first, so its row sees only CLS and itself.
        float[] row5 = Tensors.toFloats(m.select(0, 1).select(0, 0).select(0, 5));
        assertEquals(0f, row5[0]);
        assertEquals(0f, row5[5]);
        assertEquals(Float.NEGATIVE_INFINITY, row5[1]);
    }

    private static void check(Tensor mask, String[] expected) {
        assertArrayEquals(new long[] {1, 1, 10, 10}, Tensors.shape(mask));
        float[] m = Tensors.toFloats(mask);
        for (int q = 0; q < 10; q++) {
            StringBuilder row = new StringBuilder();
            for (int k = 0; k < 10; k++) {
                float v = m[q * 10 + k];
                if (v != 0f && v != Float.NEGATIVE_INFINITY) {
                    throw new AssertionError("mask value " + v + " is neither 0 nor -inf");
                }
                row.append(v == 0f ? '1' : '0');
            }
            assertEquals(expected[q], row.toString(), "query row " + q);
        }
    }
}
