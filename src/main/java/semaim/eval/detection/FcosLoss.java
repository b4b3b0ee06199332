package semaim.eval.detection;

import org.bytedeco.pytorch.Tensor;

import semaim.torch.Tensors;

/**
 * FCOS's loss over a batch (its v2 form): sigmoid focal loss (alpha 0.25, gamma 2) on every location's K class logits,
 * summed and divided by the positive locations; GIoU loss on the positives' distances, weighted by their centre-ness
 * target and divided by its sum; binary cross-entropy of centre-ness on the positives, divided by their number.
 */
final class FcosLoss {
    static final double ALPHA = 0.25;
    static final double GAMMA = 2.0;

    /** The three terms, each a scalar tensor; {@link #total()} is what is minimised. */
    record Terms(Tensor classification, Tensor box, Tensor centreness) {
        Tensor total() {
            return classification.add(box).add(centreness);
        }
    }

    private FcosLoss() {}

    /**
     * {@code out} from {@link FcosHead}; {@code oneHot} (B, N, K) class targets (all zero at background), {@code positive}
     * (B, N) 1 at assigned locations and 0 elsewhere, {@code ltrb} (B, N, 4) and {@code centreness} (B, N) targets,
     * zero off the positives (masking by multiplication keeps every tensor's shape, with no boolean indexing).
     */
    static Terms compute(FcosHead.Output out, Tensor oneHot, Tensor positive, Tensor ltrb, Tensor centreness) {
        double positives = Math.max(1.0, positive.sum().item_double());
        double weight = Math.max(1e-6, centreness.sum().item_double());
        Tensor cls = focal(out.classLogits(), oneHot).sum().div(Tensors.scalar(positives));
        Tensor box = generalisedIouLoss(out.distances(), ltrb).mul(centreness).sum().div(Tensors.scalar(weight));
        Tensor ctr = Tensors.bceWithLogits(out.centrenessLogits(), centreness).mul(positive).sum()
                .div(Tensors.scalar(positives));
        return new Terms(cls, box, ctr);
    }

    /** Sigmoid focal loss per element (Lin et al. 2017): alpha_t (1 - p_t)^gamma CE. */
    static Tensor focal(Tensor logits, Tensor target) {
        Tensor p = logits.sigmoid();
        Tensor ce = Tensors.bceWithLogits(logits, target);
        Tensor pt = p.mul(target).add(p.neg().add(Tensors.scalar(1)).mul(target.neg().add(Tensors.scalar(1))));
        Tensor alpha = target.mul(Tensors.scalar(ALPHA)).add(target.neg().add(Tensors.scalar(1))
                .mul(Tensors.scalar(1 - ALPHA)));
        return alpha.mul(ce).mul(pt.neg().add(Tensors.scalar(1)).pow(Tensors.scalar(GAMMA)));
    }

    /** 1 - GIoU of two boxes given as distances (l, t, r, b) from the same location, (..., 4) -> (...). */
    static Tensor generalisedIouLoss(Tensor pred, Tensor target) {
        Tensor pl = pred.select(-1, 0), pt = pred.select(-1, 1), pr = pred.select(-1, 2), pb = pred.select(-1, 3);
        Tensor tl = target.select(-1, 0), tt = target.select(-1, 1), tr = target.select(-1, 2), tb = target.select(-1, 3);
        Tensor predArea = pl.add(pr).mul(pt.add(pb)), targetArea = tl.add(tr).mul(tt.add(tb));
        Tensor inter = pl.minimum(tl).add(pr.minimum(tr)).mul(pt.minimum(tt).add(pb.minimum(tb)));
        Tensor union = predArea.add(targetArea).sub(inter);
        Tensor enclosing = pl.maximum(tl).add(pr.maximum(tr)).mul(pt.maximum(tt).add(pb.maximum(tb)));
        Tensor iou = inter.div(union.add(Tensors.scalar(1e-7)));
        Tensor giou = iou.sub(enclosing.sub(union).div(enclosing.add(Tensors.scalar(1e-7))));
        return giou.neg().add(Tensors.scalar(1));
    }
}
