package semaim.viz;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.List;

/**
 * Image panels for the figures: grayscale or RGB images, patch maps blended over an image (the reference blends
 * heat 0.3 + image 0.7), and grids of labelled panels.
 */
public final class Panels {
    private Panels() {}

    /** A [0,1] CHW image (1 or 3 channels) as an RGB picture, scaled by an integer factor (nearest). */
    public static BufferedImage image(float[] chw, int channels, int size, int scale) {
        BufferedImage out = new BufferedImage(size * scale, size * scale, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < size * scale; y++) {
            for (int x = 0; x < size * scale; x++) {
                int i = (y / scale) * size + x / scale;
                float r = chw[i], g = channels == 3 ? chw[size * size + i] : r, b = channels == 3 ? chw[2 * size * size + i] : r;
                out.setRGB(x, y, rgb(r, g, b));
            }
        }
        return out;
    }

    /**
     * A patch map ({@code grid x grid} values) upsampled to the picture and blended over it in JET colours:
     * 0.3 x heat + 0.7 x image. {@code smooth}: bilinear upsampling (attention, similarity); otherwise blocky
     * patches (orders). Values are min-max normalised first unless {@code normalise} is false.
     */
    public static BufferedImage overlay(BufferedImage base, float[] map, int grid, boolean smooth, boolean normalise) {
        float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
        for (float v : map) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        int w = base.getWidth(), h = base.getHeight();
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double v = smooth ? bilinear(map, grid, (x + 0.5) * grid / w - 0.5, (y + 0.5) * grid / h - 0.5)
                        : map[Math.min(grid - 1, y * grid / h) * grid + Math.min(grid - 1, x * grid / w)];
                if (normalise) {
                    v = hi > lo ? (v - lo) / (hi - lo) : 0.5;
                }
                float[] heat = ColorMap.jet(v);
                int p = base.getRGB(x, y);
                float r = ((p >> 16) & 255) / 255f, g = ((p >> 8) & 255) / 255f, b = (p & 255) / 255f;
                out.setRGB(x, y, rgb(0.3f * heat[0] + 0.7f * r, 0.3f * heat[1] + 0.7f * g, 0.3f * heat[2] + 0.7f * b));
            }
        }
        return out;
    }

    /** Order values (smaller = earlier) to [0, 1] heat, first patch 1 (warm), last 0 (cold). */
    public static float[] orderHeat(float[] order) {
        Integer[] idx = new Integer[order.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        java.util.Arrays.sort(idx, (a, b) -> Float.compare(order[a], order[b]));
        float[] heat = new float[order.length];
        for (int rank = 0; rank < idx.length; rank++) {
            heat[idx[rank]] = 1f - rank / (float) Math.max(1, idx.length - 1);
        }
        return heat;
    }

    private static double bilinear(float[] m, int g, double fx, double fy) {
        fx = Math.max(0, Math.min(g - 1, fx));
        fy = Math.max(0, Math.min(g - 1, fy));
        int x0 = (int) Math.floor(fx), y0 = (int) Math.floor(fy);
        int x1 = Math.min(g - 1, x0 + 1), y1 = Math.min(g - 1, y0 + 1);
        double ax = fx - x0, ay = fy - y0;
        return (1 - ay) * ((1 - ax) * m[y0 * g + x0] + ax * m[y0 * g + x1])
                + ay * ((1 - ax) * m[y1 * g + x0] + ax * m[y1 * g + x1]);
    }

    static int rgb(float r, float g, float b) {
        return (to8(r) << 16) | (to8(g) << 8) | to8(b);
    }

    private static int to8(float v) {
        return Math.max(0, Math.min(255, Math.round(v * 255)));
    }

    /** Panels in rows with a caption above each column and a label left of each row. */
    public static BufferedImage grid(List<List<BufferedImage>> rows, List<String> captions, List<String> rowLabels) {
        int cell = rows.get(0).get(0).getWidth(), pad = 6, top = 22, left = rowLabels == null ? 0 : 150;
        int cols = captions.size();
        int w = left + cols * (cell + pad) + pad, h = top + rows.size() * (cell + pad) + pad;
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        for (int c = 0; c < cols; c++) {
            String text = captions.get(c);
            int tw = g.getFontMetrics().stringWidth(text);
            g.drawString(text, left + pad + c * (cell + pad) + Math.max(0, (cell - tw) / 2), 15);
        }
        for (int r = 0; r < rows.size(); r++) {
            if (rowLabels != null) {
                g.drawString(rowLabels.get(r), 4, top + r * (cell + pad) + cell / 2);
            }
            for (int c = 0; c < rows.get(r).size(); c++) {
                g.drawImage(rows.get(r).get(c), left + pad + c * (cell + pad), top + r * (cell + pad), null);
            }
        }
        g.dispose();
        return out;
    }
}
