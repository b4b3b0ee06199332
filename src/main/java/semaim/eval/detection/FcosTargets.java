package semaim.eval.detection;

import java.util.ArrayList;
import java.util.List;

/**
 * FCOS's training targets (Tian et al. 2019, with the centre sampling of its later versions) for the locations of a
 * feature pyramid: each location (the centre of its cell, {@code (j + 1/2) s, (i + 1/2) s} at stride s) is assigned
 * the ground-truth box that (1) holds the location within {@link #CENTRE_RADIUS} strides of the box's centre and
 * inside the box, (2) whose largest side distance max(l, t, r, b) falls in the level's range (4s, 8s] (the first level
 * from 0, the last without a ceiling), and (3) of those, has the smallest area; unassigned locations are background.
 * Targets: the class (0 = background, else category index + 1), the distances (l, t, r, b) / s, and centre-ness
 * sqrt(min(l, r) / max(l, r) x min(t, b) / max(t, b)).
 */
public final class FcosTargets {
    /** Centre sampling radius, in strides. */
    static final double CENTRE_RADIUS = 1.5;

    /** A ground-truth box, x0 y0 x1 y1 in pixels, with its class index (0-based). */
    public record Truth(double x0, double y0, double x1, double y1, int classIndex) {
        double area() {
            return (x1 - x0) * (y1 - y0);
        }
    }

    /** One pyramid level: its stride and feature map size. */
    public record Level(int stride, int height, int width) {
        int locations() {
            return height * width;
        }
    }

    /**
     * Per location, levels concatenated in order, row-major within a level: {@code classes[n]} (0 = background),
     * {@code ltrb[4n..4n+3]} in strides, {@code centreness[n]}; the last two are 0 at background locations.
     */
    public record Targets(int[] classes, float[] ltrb, float[] centreness) {
        /** Locations assigned a box. */
        public int positives() {
            int n = 0;
            for (int c : classes) {
                n += c > 0 ? 1 : 0;
            }
            return n;
        }
    }

    private FcosTargets() {}

    /** The targets of one image's boxes over {@code levels}. */
    public static Targets assign(List<Level> levels, List<Truth> truths) {
        int total = levels.stream().mapToInt(Level::locations).sum();
        int[] classes = new int[total];
        float[] ltrb = new float[4 * total], centreness = new float[total];
        int n = 0;
        for (int l = 0; l < levels.size(); l++) {
            Level level = levels.get(l);
            double s = level.stride();
            double lo = l == 0 ? 0 : 4 * s, hi = l == levels.size() - 1 ? Double.POSITIVE_INFINITY : 8 * s;
            for (int i = 0; i < level.height(); i++) {
                for (int j = 0; j < level.width(); j++, n++) {
                    double x = (j + 0.5) * s, y = (i + 0.5) * s;
                    Truth best = null;
                    for (Truth t : truths) {
                        double left = x - t.x0(), top = y - t.y0(), right = t.x1() - x, bottom = t.y1() - y;
                        double reach = Math.max(Math.max(left, right), Math.max(top, bottom));
                        boolean inside = Math.min(Math.min(left, right), Math.min(top, bottom)) > 0;
                        boolean central = Math.abs(x - (t.x0() + t.x1()) / 2) < CENTRE_RADIUS * s
                                && Math.abs(y - (t.y0() + t.y1()) / 2) < CENTRE_RADIUS * s;
                        if (inside && central && reach > lo && reach <= hi && (best == null || t.area() < best.area())) {
                            best = t;
                        }
                    }
                    if (best != null) {
                        double left = x - best.x0(), top = y - best.y0(), right = best.x1() - x, bottom = best.y1() - y;
                        classes[n] = best.classIndex() + 1;
                        ltrb[4 * n] = (float) (left / s);
                        ltrb[4 * n + 1] = (float) (top / s);
                        ltrb[4 * n + 2] = (float) (right / s);
                        ltrb[4 * n + 3] = (float) (bottom / s);
                        centreness[n] = (float) Math.sqrt(Math.min(left, right) / Math.max(left, right)
                                * Math.min(top, bottom) / Math.max(top, bottom));
                    }
                }
            }
        }
        return new Targets(classes, ltrb, centreness);
    }

    /** The levels of a square image of side {@code size} at {@code strides} (each dividing the side). */
    public static List<Level> levels(int size, int... strides) {
        List<Level> out = new ArrayList<>();
        for (int s : strides) {
            if (size % s != 0) {
                throw new IllegalArgumentException("stride " + s + " does not divide the image side " + size);
            }
            out.add(new Level(s, size / s, size / s));
        }
        return out;
    }
}
