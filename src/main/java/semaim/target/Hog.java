package semaim.target;

import org.bytedeco.pytorch.Tensor;

import semaim.torch.Tensors;

/**
 * Histograms of oriented gradients per patch: MaskFeat's target (Wei et al., CVPR 2022), which SemAIM's reference
 * does not have. Computed on the fly with tensor ops, as MaskFeat's {@code HOGLayerC}, on the un-normalised image:
 * <pre>
 *   per channel: reflect-pad 1, Sobel gx, gy (3x3: [1 0 -1; 2 0 -2; 1 0 -1] and its transpose)
 *   magnitude m = sqrt(gx^2 + gy^2),  bin = floor(atan2(gx, gy) / pi * 9) mod 9     (unsigned orientation)
 *   per cell of c x c pixels: h_k = sum of m over the pixels in bin k,  h <- h / max(||h||, 1e-12)
 *   per patch: its (P/c)^2 cells x channels x 9 bins, concatenated (cells row-major, then channel, then bin)
 * </pre>
 * The cell is 8 x 8 pixels, or the patch when the patch is smaller (a 4-pixel patch is one 4 x 4 cell).
 * Example: a vertical edge (dark left, bright right) has gx != 0, gy = 0, so atan2 = +-pi/2, 4.5 or -4.5 before
 * the floor: bin 4 either way.
 */
public final class Hog {
    public static final int BINS = 9;

    private final int channels;
    private final int patchSize;
    private final int cell;
    private final float[] mean;
    private final float[] std;

    /** For images normalised with {@code mean} and {@code std} per channel (undone before the gradients). */
    public Hog(int channels, int patchSize, float[] mean, float[] std) {
        if (mean.length != channels || std.length != channels) {
            throw new IllegalArgumentException("HOG needs one mean and std per channel");
        }
        this.channels = channels;
        this.patchSize = patchSize;
        this.cell = Math.min(8, patchSize);
        if (patchSize % cell != 0) {
            throw new IllegalArgumentException("the HOG cell (" + cell + ") must divide the patch size " + patchSize);
        }
        this.mean = mean.clone();
        this.std = std.clone();
    }

    /** Values per patch: cells per patch x channels x 9. */
    public static int width(int channels, int patchSize) {
        int c = Math.min(8, patchSize), r = patchSize / c;
        return r * r * channels * BINS;
    }

    public int width() {
        return width(channels, patchSize);
    }

    /** (B, C, H, W) normalised images -> (B, N, width) HOG targets. */
    public Tensor targets(Tensor images) {
        long b = images.size(0), h = images.size(2), w = images.size(3);
        Tensor x = Tensors.unnormalise(images, mean, std);
        Tensor padded = Tensors.reflectPad(x, 1);
        float[] sobel = {1, 0, -1, 2, 0, -2, 1, 0, -1};
        Tensor kx = Tensors.floats(sobel, 1, 1, 3, 3).expand(channels, 1, 3, 3).contiguous()
                .to(images.device(), images.scalar_type());
        Tensor ky = kx.transpose(2, 3).contiguous();
        Tensor gx = Tensors.depthwiseConv2d(padded, kx, 0);                    // (B, C, H, W)
        Tensor gy = Tensors.depthwiseConv2d(padded, ky, 0);
        Tensor magnitude = gx.mul(gx).add(gy.mul(gy)).sqrt();
        Tensor bin = Tensors.atan2(gx, gy).div(Tensors.scalar(Math.PI)).mul(Tensors.scalar(BINS)).floor()
                .remainder(Tensors.scalar(BINS));                              // 0..8
        Tensor[] hist = new Tensor[BINS];
        for (int k = 0; k < BINS; k++) {
            Tensor inBin = bin.eq(Tensors.scalar(k)).to(magnitude.scalar_type());
            hist[k] = Tensors.sumPool(magnitude.mul(inBin), cell);             // (B, C, H/c, W/c)
        }
        Tensor cells = Tensors.l2Normalize(Tensors.stack(2, hist), 2);         // (B, C, 9, H/c, W/c)
        long g = h / patchSize, r = patchSize / cell;
        return cells.reshape(b, channels, BINS, g, r, w / patchSize, r)         // (B, C, 9, gy, ry, gx, rx)
                .permute(0, 3, 5, 4, 6, 1, 2)                                   // (B, gy, gx, ry, rx, C, 9)
                .reshape(b, g * (w / patchSize), width());                      // (B, N, width)
    }

    /** The L2 loss of predictions (B, N, width) against HOG targets: mean of squared differences. */
    public static Tensor loss(Tensor prediction, Tensor target) {
        Tensor d = prediction.sub(target);
        return d.mul(d).mean();
    }
}
