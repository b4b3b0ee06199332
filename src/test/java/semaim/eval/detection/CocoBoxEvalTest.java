package semaim.eval.detection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import semaim.eval.detection.CocoBoxEval.Box;
import semaim.eval.detection.CocoBoxEval.Detection;
import semaim.eval.detection.CocoBoxEval.GroundTruth;
import semaim.eval.detection.CocoBoxEval.Result;

/**
 * COCO box mAP on fixtures computed by hand from pycocotools' rules (cocoeval.py: evaluateImg, accumulate, summarize).
 * stats: AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl.
 */
class CocoBoxEvalTest {
    private static final double EPS = 1e-12;

    private static GroundTruth gt(long image, int cat, double x, double y, double w, double h) {
        return new GroundTruth(image, cat, new Box(x, y, w, h), w * h, false);
    }

    private static Detection dt(long image, int cat, double x, double y, double w, double h, double score) {
        return new Detection(image, cat, new Box(x, y, w, h), score);
    }

    private static Result eval(List<Long> images, List<Integer> cats, List<GroundTruth> g, List<Detection> d) {
        return CocoBoxEval.evaluate(images, cats, g, d);
    }

    @Test
    void aPerfectDetectionScoresOneAndTheAreaRangesWithoutTruthAreUndefined() {
        Result r = eval(List.of(1L), List.of(1), List.of(gt(1, 1, 10, 10, 40, 40)), List.of(dt(1, 1, 10, 10, 40, 40, .9)));
        // area 1600: medium (32^2 < 1600 <= 96^2); small and large have no truth: -1
        // (precision is tp / (tp + fp + eps) as in pycocotools: 1 - 1.1e-16, hence the tolerance)
        org.junit.jupiter.api.Assertions.assertArrayEquals(
                new double[] {1, 1, 1, -1, 1, -1, 1, 1, 1, -1, 1, -1}, r.stats(), 1e-15);
    }

    @Test
    void aDetectionOfIou0625CountsAtThreeOfTheTenThresholds() {
        // IoU = 62.5 / 100: matched at 0.50, 0.55, 0.60 only
        Result r = eval(List.of(1L), List.of(1), List.of(gt(1, 1, 0, 0, 10, 10)), List.of(dt(1, 1, 0, 0, 10, 6.25, .5)));
        assertEquals(0.3, r.stats()[0], EPS);
        assertEquals(1.0, r.stats()[1], EPS);
        assertEquals(0.0, r.stats()[2], EPS);
        assertEquals(0.3, r.stats()[3], EPS, "area 100 is small");
        assertEquals(0.3, r.stats()[8], EPS, "AR100: recall 1 at 3 thresholds, 0 at 7");
    }

    @Test
    void tiedScoresKeepTheirInputOrder() {
        GroundTruth g = gt(1, 1, 0, 0, 20, 20);
        Detection miss = dt(1, 1, 50, 50, 20, 20, .9), hit = dt(1, 1, 0, 0, 20, 20, .9);
        // miss first: precision 1/2 at recall 1, so every recall point reads 0.5
        assertEquals(0.5, eval(List.of(1L), List.of(1), List.of(g), List.of(miss, hit)).stats()[1], EPS);
        assertEquals(1.0, eval(List.of(1L), List.of(1), List.of(g), List.of(hit, miss)).stats()[1], EPS);
        // across images, ties go in image-id order: image 1's miss before image 2's hit
        GroundTruth g2 = gt(2, 1, 0, 0, 20, 20);
        Detection miss1 = dt(1, 1, 50, 50, 20, 20, .9), hit2 = dt(2, 1, 0, 0, 20, 20, .9);
        Result r = eval(List.of(2L, 1L), List.of(1), List.of(g2), List.of(hit2, miss1));
        assertEquals(0.5, r.stats()[1], EPS);
    }

    @Test
    void aTruthMatchesOneDetectionAndTheEnvelopeIsInterpolatedAt101Points() {
        // TP (gt a), duplicate on gt a (FP), TP (gt b): recall .5 .5 1, precision 1 .5 .667 -> envelope 1 .667 .667;
        // recall points 0..0.50 read 1 (51 of them), 0.51..1 read 2/3 (50)
        List<GroundTruth> g = List.of(gt(1, 1, 0, 0, 20, 20), gt(1, 1, 60, 60, 20, 20));
        List<Detection> d = List.of(dt(1, 1, 0, 0, 20, 20, .9), dt(1, 1, 0, 0, 20, 20, .8), dt(1, 1, 60, 60, 20, 20, .7));
        Result r = eval(List.of(1L), List.of(1), g, d);
        assertEquals((51 + 50 * (2.0 / 3)) / 101, r.stats()[1], 1e-9);
        assertEquals(0.5, r.stats()[6], EPS, "AR1: the top detection finds one of two");
        assertEquals(1.0, r.stats()[7], EPS);
    }

    @Test
    void anIouTieGoesToTheLaterTruth() {
        // det 1 overlaps A and B equally (IoU 90/110); pycocotools keeps the later one (>= replaces), so B; det 2,
        // exactly on A, then takes A at every threshold. Had det 1 taken A, det 2 would get B at IoU 80/120 only.
        List<GroundTruth> g = List.of(gt(1, 1, 0, 0, 10, 10), gt(1, 1, 2, 0, 10, 10));
        List<Detection> d = List.of(dt(1, 1, 1, 0, 10, 10, .9), dt(1, 1, 0, 0, 10, 10, .8));
        assertEquals(1.0, eval(List.of(1L), List.of(1), g, d).stats()[2], 1e-15, "AP75");
    }

    @Test
    void detectionsOnACrowdRegionAreIgnoredNotFalse() {
        GroundTruth crowd = new GroundTruth(1, 1, new Box(100, 0, 60, 60), 3600, true);
        List<GroundTruth> g = List.of(gt(1, 1, 0, 0, 20, 20), crowd);
        // two higher-scored detections inside the crowd (IoU = intersection / detection area = 1), then the true one
        List<Detection> d = List.of(dt(1, 1, 110, 10, 20, 20, .95), dt(1, 1, 120, 20, 20, 20, .94),
                dt(1, 1, 0, 0, 20, 20, .5));
        assertEquals(1.0, eval(List.of(1L), List.of(1), g, d).stats()[0], EPS);
        // the same boxes with the crowd flag off: one matches it, the other is a false positive ahead of the truth
        GroundTruth notCrowd = new GroundTruth(1, 1, new Box(100, 0, 60, 60), 3600, false);
        assertTrue(eval(List.of(1L), List.of(1), List.of(g.get(0), notCrowd), d).stats()[1] < 1.0);
    }

    @Test
    void anEmptyImageCostsNothingAndADetectionOnAnImageWithoutTruthIsFalse() {
        GroundTruth g = gt(1, 1, 0, 0, 20, 20);
        Detection hit = dt(1, 1, 0, 0, 20, 20, .5);
        assertEquals(1.0, eval(List.of(1L, 2L), List.of(1), List.of(g), List.of(hit)).stats()[1], EPS);
        Detection stray = dt(2, 1, 0, 0, 20, 20, .9);
        assertEquals(0.5, eval(List.of(1L, 2L), List.of(1), List.of(g), List.of(hit, stray)).stats()[1], EPS);
    }

    @Test
    void aCategoryWithoutTruthIsLeftOutOfTheMeanNotCountedAsZero() {
        GroundTruth g = gt(1, 1, 0, 0, 20, 20);
        List<Detection> d = List.of(dt(1, 1, 0, 0, 20, 20, .5), dt(1, 2, 40, 40, 20, 20, .9));
        Result r = eval(List.of(1L), List.of(1, 2, 3), List.of(g), d);
        assertEquals(1.0, r.stats()[0], EPS);
        assertEquals(-1.0, r.precision()[0][0][1][0][2], EPS, "category 2: no truth, precision undefined");
    }

    @Test
    void areaRangesUseTheAnnotationAreaAndIgnoreOutsideTruths() {
        // a large box whose annotation area (a thin mask, 900) is small: it counts as small
        GroundTruth g = new GroundTruth(1, 1, new Box(0, 0, 100, 100), 900, false);
        Result r = eval(List.of(1L), List.of(1), List.of(g), List.of(dt(1, 1, 0, 0, 100, 100, .9)));
        assertEquals(1.0, r.stats()[3], EPS);
        assertEquals(-1.0, r.stats()[5], EPS, "no large truth");
        // medium range: the truth is ignored there, the detection matches it and is ignored with it: undefined (-1)
        assertEquals(-1.0, r.stats()[4], EPS);
    }

    @Test
    void summaryHasCocosTwelveLinesInItsFormat() {
        Result r = eval(List.of(1L), List.of(1), List.of(gt(1, 1, 10, 10, 40, 40)), List.of(dt(1, 1, 10, 10, 40, 40, .9)));
        String[] lines = r.summary().split("\n");
        assertEquals(12, lines.length);
        assertEquals(" Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 1.000", lines[0]);
        assertEquals(" Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ] = 1.000", lines[1]);
        assertEquals(" Average Precision  (AP) @[ IoU=0.50:0.95 | area= small | maxDets=100 ] = -1.000", lines[3]);
        assertEquals(" Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ] = 1.000", lines[6]);
        assertEquals(" Average Recall     (AR) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = -1.000", lines[11]);
    }
}
