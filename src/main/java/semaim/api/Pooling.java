package semaim.api;

import java.util.Locale;

import semaim.model.VisionTransformer;

/**
 * How an encoder's tokens become an image's embedding. One definition each, used by {@link Encoder}, {@link Probes}
 * and the command line's {@code embed}, {@code knn} and {@code linprobe} ({@code --pool}); the computation is
 * {@code VisionTransformer.features}. D is the encoder's width, N its number of patches.
 */
public enum Pooling {
    /** The CLS token after the final norm: D values (the reference's linear probe and k-NN). */
    CLS(VisionTransformer.Pooling.CLS),
    /**
     * The mean of the patch tokens after the last block, then {@code fc_norm}: D values (timm's {@code global_pool =
     * 'avg'}, the reference's fine-tuning). A frozen encoder's {@code fc_norm} is the identity-affine layer norm, so
     * the mean is standardised.
     */
    MEAN(VisionTransformer.Pooling.MEAN),
    /**
     * The mean patch token after each of the last four blocks, each standardised, concatenated: 4D values (AIM's
     * probe input; the k-NN monitor's feature).
     */
    CONCAT(VisionTransformer.Pooling.CONCAT),
    /** Every patch token after the final norm, not pooled: N x D values, patch-major (row-major (N, D)). */
    PATCHES(VisionTransformer.Pooling.PATCHES);

    private final VisionTransformer.Pooling model;

    Pooling(VisionTransformer.Pooling model) {
        this.model = model;
    }

    /**
     * The model's pooling that computes this one.
     *
     * @return the {@code VisionTransformer.Pooling} of the same name
     */
    public VisionTransformer.Pooling model() {
        return model;
    }

    /**
     * Parses a pooling's name.
     *
     * @param name  {@code cls}, {@code mean}, {@code concat} or {@code patches} (also {@code patch}), in any case
     * @return the pooling
     * @throws IllegalArgumentException naming the choices, for anything else
     */
    public static Pooling parse(String name) {
        String n = name.trim().toUpperCase(Locale.ROOT);
        if (n.equals("PATCH")) {
            return PATCHES;
        }
        for (Pooling p : values()) {
            if (p.name().equals(n)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown pooling '" + name + "'; choose cls, mean, concat or patches");
    }

    /**
     * The lower-case name.
     *
     * @return the name the command line and result files use, e.g. {@code cls}
     */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
