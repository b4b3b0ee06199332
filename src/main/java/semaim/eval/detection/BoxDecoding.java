package semaim.eval.detection;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * FCOS's inference on one image: per location, score = sqrt(class probability x centre-ness) for every class above
 * {@link #SCORE_THRESHOLD} (on the class probability, as FCOS), at most {@link #PRE_NMS} per level by score; boxes from
 * the (l, t, r, b) distances x stride around the location, clipped to the image; class-wise non-maximum suppression at
 * IoU {@link #NMS_IOU}; the best {@link #MAX_DETECTIONS} kept (COCO's maxDets).
 */
public final class BoxDecoding {
    static final double SCORE_THRESHOLD = 0.05;
    static final int PRE_NMS = 1000;
    static final double NMS_IOU = 0.6;
    static final int MAX_DETECTIONS = 100;

    /** A decoded box, x0 y0 x1 y1 in pixels, with its class index (0-based) and score. */
    public record Box(double x0, double y0, double x1, double y1, int classIndex, double score) {
        double area() {
            return Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
        }
    }

    private BoxDecoding() {}

    /**
     * {@code probs} (N x K, sigmoid of the class logits), {@code ltrb} (N x 4, in strides), {@code centreness} (N,
     * sigmoid), the locations ordered as {@link FcosTargets#assign}; the image is {@code width} x {@code height}.
     */
    public static List<Box> decode(List<FcosTargets.Level> levels, float[] probs, int classes, float[] ltrb,
            float[] centreness, int width, int height) {
        List<Box> candidates = new ArrayList<>();
        int n = 0;
        for (FcosTargets.Level level : levels) {
            double s = level.stride();
            List<Box> inLevel = new ArrayList<>();
            for (int i = 0; i < level.height(); i++) {
                for (int j = 0; j < level.width(); j++, n++) {
                    double x = (j + 0.5) * s, y = (i + 0.5) * s;
                    for (int k = 0; k < classes; k++) {
                        double p = probs[n * classes + k];
                        if (p > SCORE_THRESHOLD) {
                            inLevel.add(new Box(clip(x - ltrb[4 * n] * s, width), clip(y - ltrb[4 * n + 1] * s, height),
                                    clip(x + ltrb[4 * n + 2] * s, width), clip(y + ltrb[4 * n + 3] * s, height), k,
                                    Math.sqrt(p * centreness[n])));
                        }
                    }
                }
            }
            inLevel.sort(Comparator.comparingDouble(Box::score).reversed());
            candidates.addAll(inLevel.subList(0, Math.min(PRE_NMS, inLevel.size())));
        }
        return suppress(candidates);
    }

    /** Class-wise greedy non-maximum suppression, best score first; at most {@link #MAX_DETECTIONS} survive. */
    static List<Box> suppress(List<Box> boxes) {
        List<Box> sorted = new ArrayList<>(boxes);
        sorted.sort(Comparator.comparingDouble(Box::score).reversed());
        List<Box> kept = new ArrayList<>();
        for (Box b : sorted) {
            if (kept.size() == MAX_DETECTIONS) {
                break;
            }
            if (kept.stream().noneMatch(k -> k.classIndex() == b.classIndex() && iou(k, b) > NMS_IOU)) {
                kept.add(b);
            }
        }
        return kept;
    }

    static double iou(Box a, Box b) {
        double inter = semaim.util.Boxes.intersection(a.x0(), a.y0(), a.x1(), a.y1(), b.x0(), b.y0(), b.x1(), b.y1());
        return inter == 0 ? 0 : inter / (a.area() + b.area() - inter);
    }

    private static double clip(double v, int limit) {
        return Math.max(0, Math.min(limit, v));
    }
}
