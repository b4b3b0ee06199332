package semaim.model;

import org.bytedeco.pytorch.Tensor;

import semaim.torch.Tensors;

/**
 * The fixed 2-D sin-cos position embedding p of the paper (Sec. "Semantic-guided Autoregressive Image Modeling"),
 * in the exact layout of the reference (MAE's {@code get_2d_sincos_pos_embed}):
 * <ul>
 *   <li>row 0 (CLS) is all zeros;</li>
 *   <li>for patch t at (row r, column c): the first D/2 values encode the <em>column</em> c, the last D/2 the row r
 *       (MAE feeds {@code meshgrid(w, h)[0]}, the column, to the half it calls {@code emb_h});</li>
 *   <li>each half of width E = D/2 is {@code [sin(pos * w_0..E/2-1), cos(pos * w_0..E/2-1)]}, all sines then all
 *       cosines, with {@code w_k = 10000^(-k / (E/2))}.</li>
 * </ul>
 * Computed in double precision and rounded to float, as numpy then {@code torch.from_numpy(...).float()} does.
 */
public final class PositionEmbedding {
    private PositionEmbedding() {}

    /** Returns a flat row-major {@code (1 + gridH*gridW) x width} array, CLS row first. */
    public static float[] sinCos2d(int width, int gridH, int gridW) {
        if (width % 4 != 0) {
            throw new IllegalArgumentException("width " + width + " must be a multiple of 4");
        }
        int half = width / 2;
        int quarter = half / 2;
        double[] omega = new double[quarter];
        for (int k = 0; k < quarter; k++) {
            omega[k] = 1.0 / Math.pow(10000.0, k / (double) quarter);
        }
        float[] out = new float[(1 + gridH * gridW) * width];
        for (int r = 0; r < gridH; r++) {
            for (int c = 0; c < gridW; c++) {
                int base = (1 + r * gridW + c) * width;
                for (int k = 0; k < quarter; k++) {
                    out[base + k] = (float) Math.sin(c * omega[k]);
                    out[base + quarter + k] = (float) Math.cos(c * omega[k]);
                    out[base + half + k] = (float) Math.sin(r * omega[k]);
                    out[base + half + quarter + k] = (float) Math.cos(r * omega[k]);
                }
            }
        }
        return out;
    }

    /**
     * (1 + g*g, W) position rows resampled to (1 + s*s, W): bicubic on the grid, CLS row kept, as timm's
     * {@code resample_abs_pos_embed} (a teacher of another grid; an encoder fine-tuned at another input size).
     */
    public static Tensor resample(Tensor rows, int g, int s) {
        long w = rows.size(1);
        Tensor cls = rows.narrow(0, 0, 1);
        Tensor grid = rows.narrow(0, 1, (long) g * g).reshape(1, g, g, w)
                .permute(0, 3, 1, 2);                                                          // (1, W, g, g)
        Tensor out = Tensors.resizeBicubic(grid, s, s).permute(0, 2, 3, 1)
                .reshape((long) s * s, w);                                                     // (s*s, W)
        return Tensors.cat(0, cls, out);
    }
}
