package semaim.model;

/**
 * Analytic floating-point operations of one pre-training step, per image: a multiply-add counts 2. Counted are the
 * matrix products (linear layers, the patch convolution, q k^T and attention x v); norms, softmax, GELU, masks and
 * the Gaussian blur are left out (a few percent at these sizes). Backward costs twice the forward pass, the usual
 * estimate (one product for the input gradient, one for the weight gradient).
 *
 * <p>With T = 1 + N tokens, width D and MLP width M, an encoder block costs 2T(3D^2 + D^2 + 2DM) for qkv, proj
 * and MLP plus 4T^2 D for the two attention products; a decoder block (separate q, k, v over T queries and T keys)
 * costs the same. Worked example, one block at T = 5, D = 8, M = 32: 2*5*(3*64 + 64 + 2*8*32) = 7,680 for the
 * linear layers plus 4*25*8 = 800 for attention, 8,480 in all.
 */
public final class ModelFlops {
    private ModelFlops() {}

    /** One encoder block's forward pass over T tokens. */
    public static long encoderBlock(long tokens, long width, long mlpHidden) {
        long linear = 2 * tokens * (3 * width * width + width * width + 2 * width * mlpHidden);
        long attention = 4 * tokens * tokens * width;
        return linear + attention;
    }

    /** One decoder block's forward pass: T queries cross-attending to T keys (q, k, v, proj, MLP). */
    public static long decoderBlock(long tokens, long width, long mlpHidden) {
        long linear = 2 * tokens * (4 * width * width + 2 * width * mlpHidden);
        long attention = 4 * tokens * tokens * width;
        return linear + attention;
    }

    /** The patch embedding: N patches of C*P*P values projected to D. */
    public static long patchEmbed(ModelConfig c) {
        return 2L * c.numPatches() * c.patchSize() * c.patchSize() * c.inChannels() * c.width();
    }

    /** The prediction head over all T tokens (the reference computes the CLS row too). */
    public static long head(ModelConfig c) {
        long t = c.numPatches() + 1;
        return c.headType() == HeadType.MLP
                ? 2 * t * ((long) c.width() * c.mlpHidden() + (long) c.mlpHidden() * c.pixelsPerPatch())
                : 2 * t * (long) c.width() * c.pixelsPerPatch();
    }

    /** The similarity pass (Eq. 2): embedding and every encoder block, forward only. */
    public static long similarityPass(ModelConfig c) {
        long t = c.numPatches() + 1;
        return patchEmbed(c) + c.depth() * encoderBlock(t, c.width(), c.mlpHidden());
    }

    /** The autoregressive pass (Eq. 7-11), forward: embedding, encoder, decoder, head. */
    public static long autoregressiveForward(ModelConfig c) {
        long t = c.numPatches() + 1;
        return patchEmbed(c) + c.depth() * encoderBlock(t, c.width(), c.mlpHidden())
                + c.decoderDepth() * decoderBlock(t, c.width(), c.mlpHidden()) + head(c);
    }

    /** One training step per image: similarity pass + autoregressive forward + backward (2x forward). */
    public static long trainingStep(ModelConfig c) {
        return similarityPass(c) + 3 * autoregressiveForward(c);
    }
}
