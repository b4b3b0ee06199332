package semaim.model;

/**
 * Which encoder layer each decoder block reads (Eq. 10 and Algorithm 1).
 *
 * <p>Decoder block {@code k} (0-based) attends to the encoder output <em>after</em> encoder block
 * {@code floor((k + 1) * L / L') - 1}. When L' divides L this is the reference's {@code (k + 1) * (L / L') - 1}
 * (depth 12 with 4 decoder blocks: after blocks 2, 5, 8, 11). When it does not (the reference crashes there), the
 * same formula picks L' layers spread uniformly over the encoder, as the paper words it, strictly increasing and
 * always ending with the last block (depth 12 with 5 decoder blocks: after blocks 1, 3, 6, 8, 11).
 *
 * <p>Note that the paper's Eq. 10 writes h^(l-1); the code and Algorithm 1 read the output after the block, which we
 * follow because the reference weights were trained that way.
 */
public final class DecoderPairing {
    private DecoderPairing() {}

    /** 0-based index of the encoder block whose output decoder block {@code k} reads. */
    public static int encoderBlockFor(int k, int encoderDepth, int decoderDepth) {
        if (decoderDepth < 1 || decoderDepth > encoderDepth) {
            throw new IllegalArgumentException("decoder depth " + decoderDepth + " must be in 1.." + encoderDepth);
        }
        if (k < 0 || k >= decoderDepth) {
            throw new IllegalArgumentException("decoder block " + k + " out of range 0.." + (decoderDepth - 1));
        }
        return (int) (((long) (k + 1) * encoderDepth) / decoderDepth) - 1;
    }

    /** The encoder block index read by each decoder block, in order. */
    public static int[] encoderBlocks(int encoderDepth, int decoderDepth) {
        if (decoderDepth < 1 || decoderDepth > encoderDepth) {
            throw new IllegalArgumentException("decoder depth " + decoderDepth + " must be in 1.." + encoderDepth);
        }
        int[] out = new int[decoderDepth];
        for (int k = 0; k < decoderDepth; k++) {
            out[k] = encoderBlockFor(k, encoderDepth, decoderDepth);
        }
        return out;
    }
}
