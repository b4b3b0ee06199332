package semaim.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import semaim.util.Rng;

class RandAugmentTest {
    static DecodedImage ramp(int channels) {
        int s = 16;
        float[] v = new float[channels * s * s];
        for (int i = 0; i < v.length; i++) {
            v[i] = ((i % s) + (i / s % s)) / 30f;
        }
        return new DecodedImage(s, s, channels, v);
    }

    @Test
    void everyOperationKeepsValuesInRangeAndSizeFixed() {
        for (String op : RandAugment.operations()) {
            for (int c : new int[] {1, 3}) {
                DecodedImage img = ramp(c);
                RandAugment.apply(op, img, 0.9, -1);
                for (float v : img.chw()) {
                    assertTrue(v >= 0 && v <= 1, op + " produced " + v);
                }
                assertEquals(c * 256, img.chw().length);
            }
        }
    }

    @Test
    void neutralLevelsChangeNothingAndInvertIsAnInvolution() {
        for (String op : new String[] {"Color", "Contrast", "Brightness", "Sharpness", "Rotate", "ShearX", "ShearY",
            "TranslateX", "TranslateY"}) {
            DecodedImage img = ramp(3);
            float[] before = img.chw().clone();
            RandAugment.apply(op, img, 0.0, 1);
            assertArrayEquals(before, img.chw(), 1e-5f, op);
        }
        DecodedImage img = ramp(1);
        float[] before = img.chw().clone();
        RandAugment.apply("Invert", img, 0.5, 1);
        RandAugment.apply("Invert", img, 0.5, 1);
        assertArrayEquals(before, img.chw(), 1e-6f);
    }

    @Test
    void translateMovesContentByTheExpectedPixels() {
        DecodedImage img = ramp(1);
        float[] before = img.chw().clone();
        // level 1, sign +1: shift by 0.45 * 16 = 7.2 px; output(x) samples input(x + 7.2)
        RandAugment.apply("TranslateX", img, 1.0, 1);
        assertEquals(before[5 * 16 + 8] * 0.8 + before[5 * 16 + 9] * 0.2, img.chw()[5 * 16 + 1], 1e-5);
        assertEquals(0.5f, img.chw()[5 * 16 + 15], 1e-6f);   // filled from outside the image
    }

    @Test
    void policyIsDeterministicGivenTheGenerator() {
        DecodedImage a = ramp(3), b = ramp(3);
        RandAugment.reference().apply(a, new Rng(7));
        RandAugment.reference().apply(b, new Rng(7));
        assertArrayEquals(a.chw(), b.chw());
    }
}
