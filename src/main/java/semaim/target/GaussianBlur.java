package semaim.target;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

import semaim.torch.Tensors;

/**
 * Depthwise Gaussian blur of the target image (reference {@code GaussianConv2d}): a normalised k x k kernel,
 * weights proportional to exp(-((x-c)^2 + (y-c)^2) / (2 sigma^2)), one copy per channel, <b>zero padding</b> of
 * (k-1)/2 pixels. Zero is the mean colour in normalised space, so borders are pulled towards it, as in the
 * reference. The kernel is a buffer named {@code weight} (shape C x 1 x k x k), so reference weights load.
 */
public final class GaussianBlur extends Module {
    private final int channels;
    private final int kernelSize;
    final Tensor weight;

    public GaussianBlur(int channels, int kernelSize, double sigma) {
        super("GaussianBlur");
        this.channels = channels;
        this.kernelSize = kernelSize;
        float[] k = kernel(kernelSize, sigma);
        float[] all = new float[channels * k.length];
        for (int c = 0; c < channels; c++) {
            System.arraycopy(k, 0, all, c * k.length, k.length);
        }
        weight = Tensors.handle(register_buffer("weight", Tensors.floats(all, channels, 1, kernelSize, kernelSize)));
    }

    /** The normalised kernel, row-major k x k. Centre weight for k=9, sigma=1: 0.159156. */
    public static float[] kernel(int kernelSize, double sigma) {
        int c = (kernelSize - 1) / 2;
        double[] w = new double[kernelSize * kernelSize];
        double sum = 0;
        for (int y = 0; y < kernelSize; y++) {
            for (int x = 0; x < kernelSize; x++) {
                double v = Math.exp(-((x - c) * (x - c) + (y - c) * (y - c)) / (2 * sigma * sigma));
                w[y * kernelSize + x] = v;
                sum += v;
            }
        }
        float[] out = new float[w.length];
        for (int i = 0; i < w.length; i++) {
            out[i] = (float) (w[i] / sum);
        }
        return out;
    }

    /** (B, C, H, W) -> (B, C, H, W). */
    public Tensor forward(Tensor images) {
        if (images.size(1) != channels) {
            throw new IllegalArgumentException("blur built for " + channels + " channels, images have "
                    + images.size(1));
        }
        long pad = (kernelSize - 1) / 2;
        return Tensors.depthwiseConv2d(images, weight, pad);
    }
}
