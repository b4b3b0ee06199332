package semaim.eval;

import java.io.IOException;
import java.util.Map;
import java.util.function.LongConsumer;

import org.bytedeco.pytorch.Device;

import semaim.data.EvalTransform;
import semaim.model.VisionTransformer;
import semaim.torch.Distributed;
import semaim.torch.Precision;

/** The frozen-encoder protocols on a train/test pair, for commands and the ablation grid alike. */
public final class Protocols {
    private Protocols() {}

    /** Train and test features of {@code encoder}; {@code progress} counts images over both splits. */
    public static Features.Set[] features(VisionTransformer encoder, EvalData data, Device device, int batchSize,
            LongConsumer progress) throws IOException {
        return features(encoder, data, device, batchSize, Precision.FP32, progress);
    }

    /** As above under {@code precision} (resolved: FP32 or BF16). */
    public static Features.Set[] features(VisionTransformer encoder, EvalData data, Device device, int batchSize,
            Precision precision, LongConsumer progress) throws IOException {
        return features(encoder, data, device, batchSize, precision, Distributed.single(), progress);
    }

    /** As above, the images shared among the ranks of {@code dist}; every rank receives all features. */
    public static Features.Set[] features(VisionTransformer encoder, EvalData data, Device device, int batchSize,
            Precision precision, Distributed dist, LongConsumer progress) throws IOException {
        EvalTransform t = EvalTransform.standard(encoder.config().imageSize(), data.train().channels());
        Features.Set train = Features.extract(encoder, data.train(), t, device, batchSize, precision, dist,
                progress);
        int offset = train.rows();
        Features.Set test = Features.extract(encoder, data.test(), t, device, batchSize, precision, dist,
                n -> progress.accept(offset + n));
        return new Features.Set[] {train, test};
    }

    /** k-NN with the DINO defaults (T = 0.07) on precomputed features. */
    public static Map<Integer, Knn.Accuracy> knn(Features.Set[] f, int[] ks) {
        return Knn.evaluate(f[0], f[1], ks, 0.07, 512);
    }

    /** The linear probe with the reference's optimiser settings (batch 256, or all features if fewer). */
    public static LinearProbe.Result linprobe(Features.Set[] f, int epochs, long seed) {
        return LinearProbe.train(f[0], f[1], epochs, Math.min(256, f[0].rows()), 0.1, 0, seed, e -> { });
    }
}
