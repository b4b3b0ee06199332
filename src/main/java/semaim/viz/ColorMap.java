package semaim.viz;

/**
 * The JET colour map (as OpenCV's {@code COLORMAP_JET}, which the reference's {@code applyColorMap_on_tensor}
 * uses): 0 is dark blue, 1 is dark red.
 */
public final class ColorMap {
    private ColorMap() {}

    /** RGB in [0, 1] for {@code v} in [0, 1] (clamped). */
    public static float[] jet(double v) {
        double x = Math.max(0, Math.min(1, v));
        return new float[] {clamp(1.5 - Math.abs(4 * x - 3)), clamp(1.5 - Math.abs(4 * x - 2)),
            clamp(1.5 - Math.abs(4 * x - 1))};
    }

    private static float clamp(double v) {
        return (float) Math.max(0, Math.min(1, v));
    }

    /** A distinct colour for category {@code k} of {@code n} (hues spread around the circle), RGB in [0, 1]. */
    public static float[] category(int k, int n) {
        java.awt.Color c = java.awt.Color.getHSBColor((float) k / Math.max(1, n), k % 2 == 0 ? 0.85f : 0.55f, 0.95f);
        return new float[] {c.getRed() / 255f, c.getGreen() / 255f, c.getBlue() / 255f};
    }
}
