package semaim.eval.detection;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * COCO box mAP exactly as {@code pycocotools.cocoeval.COCOeval} ({@code iouType='bbox'}) computes it, in its three steps:
 * {@link #evaluateImage} (greedy matching per image and category), {@link #accumulate} (precision at 101 recall points,
 * made monotone) and {@link #summarize} (the 12 numbers COCO prints). Rules kept from the reference, each a trap:
 * <ul>
 * <li>ties in score keep their input order (numpy's stable mergesort), per image and again across images in id order;</li>
 * <li>a ground truth is ignored when it is a crowd or its annotation {@code area} (not its box's) lies outside the area
 *     range, both ends inclusive; a detection matched to an ignored one is ignored, and an unmatched detection is
 *     ignored when its box area lies outside the range;</li>
 * <li>a crowd region may match any number of detections, with IoU = intersection / the detection's area;</li>
 * <li>a detection takes the unmatched ground truth of highest IoU >= min(t, 1 - 1e-10), preferring non-ignored ones
 *     (ground truths are sorted non-ignored first, and the search stops at the first ignored one once a non-ignored
 *     one is found);</li>
 * <li>a category with no non-ignored ground truth in an area range has precision -1 there and is left out of the mean,
 *     as is an image with neither ground truth nor detections;</li>
 * <li>the categories are those of the ground truth's category list, the images those of its image list.</li>
 * </ul>
 */
public final class CocoBoxEval {
    /** IoU thresholds 0.50:0.05:0.95, as {@code np.linspace(.5, 0.95, 10)}. */
    static final double[] IOU_THRESHOLDS = linspace(0.5, 0.95, 10);
    /** Recall points 0:0.01:1, as {@code np.linspace(.0, 1.00, 101)}. */
    static final double[] RECALL_POINTS = linspace(0.0, 1.0, 101);
    static final int[] MAX_DETS = {1, 10, 100};
    static final String[] AREA_NAMES = {"all", "small", "medium", "large"};
    static final double[][] AREA_RANGES = {{0, 1e10}, {0, 32 * 32}, {32 * 32, 96 * 96}, {96 * 96, 1e10}};

    /** A box as COCO stores it: top-left corner, width, height (pixels). */
    public record Box(double x, double y, double w, double h) {
        double area() {
            return w * h;
        }
    }

    /** A ground-truth annotation: {@code area} is the annotation's own (a mask's area in COCO), not the box's. */
    public record GroundTruth(long imageId, int categoryId, Box box, double area, boolean crowd) {}

    /** A detection with its score. */
    public record Detection(long imageId, int categoryId, Box box, double score) {}

    /** One image and category under one area range and max-detections (pycocotools' evaluateImg result). */
    record ImageEval(double[] scores, boolean[][] matched, boolean[][] ignored, boolean[] gtIgnored) {}

    /** precision[t][r][k][a][m] (-1 where undefined) and recall[t][k][a][m]; {@code stats} the 12 summary numbers. */
    public record Result(double[][][][][] precision, double[][][][] recall, double[] stats) {
        /** AP, AP50, AP75, APs, APm, APl (0-1, -1 when undefined). */
        public double ap() {
            return stats[0];
        }

        /** The 12 lines COCO's {@code summarize()} prints. */
        public String summary() {
            return summarize(this);
        }
    }

    private CocoBoxEval() {}

    /** Evaluates {@code detections} against {@code truths} on the given images and categories. */
    public static Result evaluate(List<Long> imageIds, List<Integer> categoryIds, List<GroundTruth> truths,
            List<Detection> detections) {
        long[] images = imageIds.stream().mapToLong(Long::longValue).sorted().distinct().toArray();
        int[] cats = categoryIds.stream().mapToInt(Integer::intValue).sorted().distinct().toArray();
        Map<String, List<GroundTruth>> gt = new HashMap<>();
        Map<String, List<Detection>> dt = new HashMap<>();
        truths.forEach(g -> gt.computeIfAbsent(key(g.imageId(), g.categoryId()), k -> new ArrayList<>()).add(g));
        detections.forEach(d -> dt.computeIfAbsent(key(d.imageId(), d.categoryId()), k -> new ArrayList<>()).add(d));
        ImageEval[][][] evals = new ImageEval[cats.length][AREA_RANGES.length][images.length];
        for (int k = 0; k < cats.length; k++) {
            for (int a = 0; a < AREA_RANGES.length; a++) {
                for (int i = 0; i < images.length; i++) {
                    String key = key(images[i], cats[k]);
                    evals[k][a][i] = evaluateImage(gt.getOrDefault(key, List.of()), dt.getOrDefault(key, List.of()),
                            AREA_RANGES[a], MAX_DETS[MAX_DETS.length - 1]);
                }
            }
        }
        return accumulate(evals);
    }

    /** Greedy matching of one image and category at every IoU threshold; null when it has neither. */
    static ImageEval evaluateImage(List<GroundTruth> gts, List<Detection> dts, double[] areaRange, int maxDet) {
        if (gts.isEmpty() && dts.isEmpty()) {
            return null;
        }
        // ground truths: non-ignored first (stable), detections: by score, descending (stable), at most maxDet
        List<GroundTruth> g = new ArrayList<>(gts);
        boolean[] ignore = new boolean[g.size()];
        g.sort(Comparator.comparing(x -> ignored(x, areaRange)));
        for (int j = 0; j < g.size(); j++) {
            ignore[j] = ignored(g.get(j), areaRange);
        }
        List<Detection> d = new ArrayList<>(dts);
        d.sort(Comparator.comparingDouble(Detection::score).reversed());
        d = d.subList(0, Math.min(maxDet, d.size()));
        double[][] ious = new double[d.size()][g.size()];
        for (int i = 0; i < d.size(); i++) {
            for (int j = 0; j < g.size(); j++) {
                ious[i][j] = iou(d.get(i).box(), g.get(j).box(), g.get(j).crowd());
            }
        }
        int T = IOU_THRESHOLDS.length;
        boolean[][] dtMatched = new boolean[T][d.size()], dtIgnored = new boolean[T][d.size()];
        for (int t = 0; t < T; t++) {
            boolean[] gtTaken = new boolean[g.size()];
            for (int i = 0; i < d.size(); i++) {
                int m = bestMatch(ious[i], g, ignore, gtTaken, Math.min(IOU_THRESHOLDS[t], 1 - 1e-10));
                if (m >= 0) {
                    dtIgnored[t][i] = ignore[m];
                    dtMatched[t][i] = true;
                    gtTaken[m] = true;
                } else {
                    double area = d.get(i).box().area();
                    dtIgnored[t][i] = area < areaRange[0] || area > areaRange[1];
                }
            }
        }
        double[] scores = d.stream().mapToDouble(Detection::score).toArray();
        return new ImageEval(scores, dtMatched, dtIgnored, ignore);
    }

    /** The ground truth one detection takes at IoU {@code threshold}, or -1 (pycocotools' inner loop, line by line). */
    private static int bestMatch(double[] ious, List<GroundTruth> g, boolean[] ignore, boolean[] taken,
            double threshold) {
        double best = threshold;
        int m = -1;
        for (int j = 0; j < g.size(); j++) {
            if (taken[j] && !g.get(j).crowd()) {
                continue;                                   // matched already, and not a crowd
            }
            if (m > -1 && !ignore[m] && ignore[j]) {
                break;                                      // a real match found; only ignored ones remain
            }
            if (ious[j] < best) {
                continue;
            }
            best = ious[j];
            m = j;
        }
        return m;
    }

    private static boolean ignored(GroundTruth g, double[] areaRange) {
        return g.crowd() || g.area() < areaRange[0] || g.area() > areaRange[1];
    }

    /** IoU of two xywh boxes; for a crowd region, intersection over the detection's area (maskUtils.iou). */
    static double iou(Box d, Box g, boolean crowd) {
        double inter = semaim.util.Boxes.intersection(d.x(), d.y(), d.x() + d.w(), d.y() + d.h(), g.x(), g.y(),
                g.x() + g.w(), g.y() + g.h());
        if (inter == 0) {
            return 0;
        }
        double union = crowd ? d.area() : d.area() + g.area() - inter;
        return inter / union;
    }

    /** Precision at the 101 recall points and final recall, per threshold, category, area range and max-dets. */
    static Result accumulate(ImageEval[][][] evals) {
        int T = IOU_THRESHOLDS.length, R = RECALL_POINTS.length, K = evals.length, A = AREA_RANGES.length;
        int M = MAX_DETS.length;
        double[][][][][] precision = new double[T][R][K][A][M];
        double[][][][] recall = new double[T][K][A][M];
        for (double[][][][] p : precision) {
            for (double[][][] q : p) {
                for (double[][] r : q) {
                    for (double[] s : r) {
                        Arrays.fill(s, -1);
                    }
                }
            }
        }
        for (double[][][] r : recall) {
            for (double[][] q : r) {
                for (double[] s : q) {
                    Arrays.fill(s, -1);
                }
            }
        }
        for (int k = 0; k < K; k++) {
            for (int a = 0; a < A; a++) {
                for (int m = 0; m < M; m++) {
                    curve(evals[k][a], MAX_DETS[m], precision, recall, k, a, m);
                }
            }
        }
        Result partial = new Result(precision, recall, null);
        return new Result(precision, recall, stats(partial));
    }

    /** One category, area range and max-dets: the images' detections pooled by score, then COCO's curve. */
    private static void curve(ImageEval[] images, int maxDet, double[][][][][] precision, double[][][][] recall,
            int k, int a, int m) {
        List<double[]> pooled = new ArrayList<>();       // {score, image index, detection index}
        int nonIgnoredTruths = 0;
        for (int i = 0; i < images.length; i++) {
            ImageEval e = images[i];
            if (e == null) {
                continue;
            }
            for (int j = 0; j < Math.min(maxDet, e.scores().length); j++) {
                pooled.add(new double[] {e.scores()[j], i, j});
            }
            for (boolean ig : e.gtIgnored()) {
                nonIgnoredTruths += ig ? 0 : 1;
            }
        }
        if (nonIgnoredTruths == 0) {
            return;
        }
        pooled.sort(Comparator.comparingDouble((double[] x) -> x[0]).reversed());   // stable, as mergesort
        for (int t = 0; t < IOU_THRESHOLDS.length; t++) {
            double[] rc = new double[pooled.size()], pr = new double[pooled.size()];
            int tp = 0, fp = 0, n = 0;
            for (double[] p : pooled) {
                ImageEval e = images[(int) p[1]];
                int j = (int) p[2];
                if (e.ignored()[t][j]) {
                    continue;
                }
                tp += e.matched()[t][j] ? 1 : 0;
                fp += e.matched()[t][j] ? 0 : 1;
                rc[n] = (double) tp / nonIgnoredTruths;
                pr[n] = tp / (fp + tp + Math.ulp(1.0));
                n++;
            }
            recall[t][k][a][m] = n > 0 ? rc[n - 1] : 0;
            for (int i = n - 1; i > 0; i--) {
                pr[i - 1] = Math.max(pr[i - 1], pr[i]);
            }
            for (int r = 0; r < RECALL_POINTS.length; r++) {
                int idx = searchLeft(rc, n, RECALL_POINTS[r]);
                precision[t][r][k][a][m] = idx < n ? pr[idx] : 0;
            }
        }
    }

    /** numpy's searchsorted(side='left') on the first n values of a non-decreasing array. */
    private static int searchLeft(double[] sorted, int n, double v) {
        int lo = 0, hi = n;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] < v) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** COCO's 12 numbers: AP, AP50, AP75, APs, APm, APl (maxDets 100), AR1, AR10, AR100, ARs, ARm, ARl. */
    private static double[] stats(Result r) {
        return new double[] {mean(r, true, -1, 0, 2), mean(r, true, 0, 0, 2), mean(r, true, 5, 0, 2),
            mean(r, true, -1, 1, 2), mean(r, true, -1, 2, 2), mean(r, true, -1, 3, 2),
            mean(r, false, -1, 0, 0), mean(r, false, -1, 0, 1), mean(r, false, -1, 0, 2),
            mean(r, false, -1, 1, 2), mean(r, false, -1, 2, 2), mean(r, false, -1, 3, 2)};
    }

    /** The mean of the defined (> -1) entries at one threshold (t >= 0) or all; -1 when none is defined. */
    private static double mean(Result r, boolean ap, int t, int a, int m) {
        double sum = 0;
        int n = 0;
        for (int ti = 0; ti < IOU_THRESHOLDS.length; ti++) {
            if (t >= 0 && ti != t) {
                continue;
            }
            for (int k = 0; k < r.recall()[ti].length; k++) {
                if (ap) {
                    for (int ri = 0; ri < RECALL_POINTS.length; ri++) {
                        double v = r.precision()[ti][ri][k][a][m];
                        sum += v > -1 ? v : 0;
                        n += v > -1 ? 1 : 0;
                    }
                } else {
                    double v = r.recall()[ti][k][a][m];
                    sum += v > -1 ? v : 0;
                    n += v > -1 ? 1 : 0;
                }
            }
        }
        return n == 0 ? -1 : sum / n;
    }

    /** The lines of pycocotools' summarize(), same format. */
    static String summarize(Result r) {
        String[] iou = {"0.50:0.95", "0.50", "0.75", "0.50:0.95", "0.50:0.95", "0.50:0.95"};
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 12; i++) {
            boolean ap = i < 6;
            int a = i < 6 ? Math.max(0, i - 2) : Math.max(0, i - 8);
            int maxDets = i < 6 ? 100 : MAX_DETS[Math.min(i - 6, 2)];
            sb.append(String.format(Locale.ROOT, " %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3d ] = %.3f%n",
                    ap ? "Average Precision" : "Average Recall", ap ? "(AP)" : "(AR)", ap ? iou[i] : "0.50:0.95",
                    AREA_NAMES[a], maxDets, r.stats()[i]));
        }
        return sb.toString();
    }

    private static String key(long image, int category) {
        return image + "/" + category;
    }

    private static double[] linspace(double from, double to, int n) {
        double[] v = new double[n];
        double step = (to - from) / (n - 1);
        for (int i = 0; i < n; i++) {
            v[i] = from + i * step;             // numpy: start + i * step, the last set to stop exactly
        }
        v[n - 1] = to;
        return v;
    }
}
