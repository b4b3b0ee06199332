package semaim.eval.detection;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.bytedeco.pytorch.Device;

import semaim.data.CocoDetections;
import semaim.data.DecodedImage;

/**
 * A detector's boxes on every image of a split, in the image's own pixels, and their COCO box mAP against the split's
 * annotations (crowd regions included, as COCO evaluates).
 */
final class DetectionScores {
    private DetectionScores() {}

    /** The COCO result and every image's detections (in the split's image order). */
    record Scores(CocoBoxEval.Result coco, List<List<CocoBoxEval.Detection>> detections) {}

    static Scores score(Detector detector, DetectionData data, Device device, int batchSize) throws IOException {
        List<List<CocoBoxEval.Detection>> all = new ArrayList<>();
        for (int start = 0; start < data.count(); start += batchSize) {
            all.addAll(detect(detector, data, start, Math.min(batchSize, data.count() - start), device));
        }
        List<CocoBoxEval.GroundTruth> truths = new ArrayList<>();
        List<Long> ids = new ArrayList<>();
        for (CocoDetections.Image img : data.set.images()) {
            ids.add(img.id());
            for (CocoDetections.Annotation a : data.set.annotations(img.id())) {
                double[] b = a.bbox();
                truths.add(new CocoBoxEval.GroundTruth(img.id(), a.categoryId(), new CocoBoxEval.Box(b[0], b[1], b[2],
                        b[3]), a.area(), a.crowd()));
            }
        }
        List<CocoBoxEval.Detection> flat = new ArrayList<>();
        all.forEach(flat::addAll);
        List<Integer> categories = new ArrayList<>(data.set.categories().keySet());
        return new Scores(CocoBoxEval.evaluate(ids, categories, truths, flat), all);
    }

    /** Images {@code start .. start + count - 1}: their detections in their own pixels. */
    private static List<List<CocoBoxEval.Detection>> detect(Detector detector, DetectionData data, int start,
            int count, Device device) throws IOException {
        List<DecodedImage> images = new ArrayList<>();
        for (int k = 0; k < count; k++) {
            images.add(data.set.load(data.set.images().get(start + k), data.channels));
        }
        List<List<BoxDecoding.Box>> boxes = detector.detectImages(images, device);
        List<List<CocoBoxEval.Detection>> out = new ArrayList<>();
        for (int k = 0; k < count; k++) {
            long id = data.set.images().get(start + k).id();
            out.add(boxes.get(k).stream().map(b -> new CocoBoxEval.Detection(id, detector.categoryIds()
                    .get(b.classIndex()), new CocoBoxEval.Box(b.x0(), b.y0(), b.x1() - b.x0(), b.y1() - b.y0()),
                    b.score())).toList());
        }
        return out;
    }
}
