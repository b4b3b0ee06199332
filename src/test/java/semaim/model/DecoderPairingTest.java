package semaim.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class DecoderPairingTest {
    @Test
    void divisorsOfTwelveMatchTheReference() {
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, DecoderPairing.encoderBlocks(12, 12));
        assertArrayEquals(new int[] {1, 3, 5, 7, 9, 11}, DecoderPairing.encoderBlocks(12, 6));
        assertArrayEquals(new int[] {2, 5, 8, 11}, DecoderPairing.encoderBlocks(12, 4));
        assertArrayEquals(new int[] {3, 7, 11}, DecoderPairing.encoderBlocks(12, 3));
        assertArrayEquals(new int[] {11}, DecoderPairing.encoderBlocks(12, 1));
    }

    @Test
    void nonDivisorsSpreadUniformlyAndEndAtTheLastBlock() {
        assertArrayEquals(new int[] {1, 3, 6, 8, 11}, DecoderPairing.encoderBlocks(12, 5));
        assertArrayEquals(new int[] {0, 2, 3, 5, 6, 8, 9, 11}, DecoderPairing.encoderBlocks(12, 8));
        assertArrayEquals(new int[] {1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23}, DecoderPairing.encoderBlocks(24, 12));
    }

    @Test
    void deeperDecoderThanEncoderIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> DecoderPairing.encoderBlocks(4, 5));
        assertThrows(IllegalArgumentException.class, () -> DecoderPairing.encoderBlocks(4, 0));
    }
}
