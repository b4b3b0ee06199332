package semaim.util;

/** The overlap of two axis-aligned boxes: the one computation behind every IoU of detection (data, metric, NMS). */
public final class Boxes {
    private Boxes() {}

    /** Intersection area of boxes given by corners (x0, y0, x1, y1); 0 when they do not overlap. */
    public static double intersection(double ax0, double ay0, double ax1, double ay1, double bx0, double by0,
            double bx1, double by1) {
        double w = Math.min(ax1, bx1) - Math.max(ax0, bx0), h = Math.min(ay1, by1) - Math.max(ay0, by0);
        return w <= 0 || h <= 0 ? 0 : w * h;
    }
}
