package semaim.train.callbacks;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;

import semaim.eval.EncoderSource;
import semaim.eval.EvalData;
import semaim.eval.Features;
import semaim.eval.Knn;
import semaim.eval.Protocols;
import semaim.io.ModelWeights;
import semaim.model.SemAimModel;
import semaim.model.VisionTransformer;
import semaim.torch.Precision;
import semaim.torch.Torch;
import semaim.train.Pretrainer;

/**
 * The k-NN monitor of SSL libraries (DINO's scripts, solo-learn, Lightly): every N epochs, the current encoder's
 * features ({@link #POOL}) of a held-out labelled set are scored with weighted k-NN (k = 20, T = 0.07, DINO's protocol), and
 * the top-1 accuracy goes to {@code metrics.jsonl} ({@code knn_top1}) and the report's k-NN curve. The student is
 * copied into a plain ViT; libtorch's generator is restored afterwards, so monitoring changes no training number.
 * Forwards everything else to the wrapped listener.
 */
public final class KnnMonitor extends ForwardingListener {
    public static final int K = 20;
    /**
     * The feature read: the last blocks' mean patch tokens, concatenated. At the cpu recipe's scale they score
     * higher than the CLS token (Fashion-MNIST, 30 CPU-minutes: k-NN 77.0 vs 75.8; docs/results-small-budget.md).
     */
    public static final VisionTransformer.Pooling POOL = VisionTransformer.Pooling.CONCAT;

    private final EvalData data;
    private final int every;
    private int lastEpoch;               // the run's last (possibly partial) epoch, always measured
    private Double lastTop1;

    public KnnMonitor(Pretrainer.Listener inner, EvalData data, int every) {
        super(inner);
        this.data = data;
        this.every = every;
    }

    @Override
    public void started(long doneSteps, long totalSteps, int stepsPerEpoch, String description) {
        inner.started(doneSteps, totalSteps, stepsPerEpoch, description);
        lastEpoch = (int) ((totalSteps + stepsPerEpoch - 1) / stepsPerEpoch);
        inner.info("k-NN monitor " + (every >= lastEpoch ? "at the end" : "every " + every + " epoch(s) and at the end")
                + ": " + data.train().description() + " -> " + data.test().description());
    }

    @Override
    public Map<String, Object> epochMetrics(int epochsDone, SemAimModel model) {
        Map<String, Object> m = new LinkedHashMap<>(inner.epochMetrics(epochsDone, model));
        if (epochsDone % every != 0 && epochsDone != lastEpoch) {
            return m;
        }
        try {
            double top1 = top1(model);
            inner.info(String.format("epoch %d: k-NN monitor top-1 %.2f%% (k=%d, %s features)", epochsDone, top1, K,
                    POOL.name().toLowerCase(java.util.Locale.ROOT)));
            m.put("knn_top1", top1);
            lastTop1 = top1;
            m.put("knn_k", K);
        } catch (IOException | RuntimeException e) {
            inner.warn("k-NN monitor failed after epoch " + epochsDone + ": " + e.getMessage());
        }
        return m;
    }

    /** The last measurement (top-1, %), or null before the first. */
    public Double lastTop1() {
        return lastTop1;
    }

    /**
     * k-NN top-1 of the student's current encoder. Building the plain ViT draws initial weights from libtorch's
     * generator, so its state is put back: monitoring changes no training number.
     */
    double top1(SemAimModel model) throws IOException {
        Tensor rng = Torch.cpuRngState();
        VisionTransformer encoder;
        try {
            encoder = EncoderSource.of(model.config(), ModelWeights.stateDict(model), "the student").build(POOL, 0);
        } finally {
            Torch.setCpuRngState(rng);
        }
        try {
            encoder.moveTo(model.device());
            Features.Set[] f = Protocols.features(encoder, data, model.device(), 256, Precision.FP32, n -> { });
            return Knn.evaluate(f[0], f[1], new int[] {K}, 0.07, 512).get(K).top1();
        } finally {
            encoder.close();
        }
    }
}
