package semaim.target;

import org.bytedeco.pytorch.Tensor;

/**
 * Image <-> patch sequence, as MAE's {@code patchify}: patches in row-major order and, inside a patch, element
 * index (py * P + px) * C + channel (channel last). The prediction head's outputs use this same layout.
 */
public final class Patches {
    private Patches() {}

    /** (B, C, H, W) -> (B, N, P*P*C). */
    public static Tensor patchify(Tensor images, int patchSize) {
        long b = images.size(0), c = images.size(1), h = images.size(2) / patchSize, w = images.size(3) / patchSize;
        return images.reshape(b, c, h, patchSize, w, patchSize)   // (B, C, h, P, w, P)
                .permute(0, 2, 4, 3, 5, 1)                         // (B, h, w, P, P, C)
                .reshape(b, h * w, (long) patchSize * patchSize * c);
    }

    /** (B, N, P*P*C) -> (B, C, H, W) for a square grid. */
    public static Tensor unpatchify(Tensor patches, int patchSize, int channels) {
        long b = patches.size(0), n = patches.size(1);
        long g = Math.round(Math.sqrt(n));
        if (g * g != n) {
            throw new IllegalArgumentException(n + " patches do not form a square grid");
        }
        return patches.reshape(b, g, g, patchSize, patchSize, channels)   // (B, h, w, P, P, C)
                .permute(0, 5, 1, 3, 2, 4)                                 // (B, C, h, P, w, P)
                .reshape(b, channels, g * patchSize, g * patchSize);
    }
}
