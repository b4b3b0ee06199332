package semaim.train;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import semaim.model.ModelConfig;
import semaim.model.ModelFlops;
import semaim.model.SemAimModel;
import semaim.order.Orders;
import semaim.order.SimilarityKind;
import semaim.target.TargetConfig;
import semaim.torch.DataParallel;
import semaim.torch.Distributed;
import semaim.torch.Nn;
import semaim.torch.Precision;
import semaim.torch.Tensors;
import semaim.torch.Torch;
import semaim.data.AugmentConfig;
import semaim.util.Memory;
import semaim.util.Rng;

/**
 * Times the pre-training step ({@link TrainStep}, the code {@code pretrain} runs) on synthetic data: the same
 * measurement as the reference's {@code bench_step.py} (standard-normal input, AdamW (0.9, 0.95), clip 3), plus the
 * analytic FLOPs of {@link ModelFlops}, the matmul peaks measured in this process, the model FLOP utilisation
 * against them, peak memory and the split of a step into its phases.
 */
public final class Bench {
    private Bench() {}

    /** What to time. */
    public record Options(ModelConfig model, TargetConfig target, String order, int batchSize, int warmup, int steps,
            Precision precision, String device, long seed) {}

    /** The measurement; {@link #json()} uses bench_step.py's field names where they mean the same. */
    public record Result(Options options, Precision precision, int threads, long params, double[] stepMs,
            double lastLoss, long flopsPerImage, double peakFp32Gflops, double peakBf16Gflops, double peakRssMb,
            Map<String, Double> splitMs, int worldSize, double allReduceMs) {

        public double medianMs() {
            return stepMs[stepMs.length / 2];
        }

        /** Images per second over all processes (each runs {@code batchSize} per step). */
        public double imagesPerSecond() {
            return options.batchSize() * (double) worldSize / (medianMs() / 1000);
        }

        /** Achieved GFLOPS of one process at the median step. */
        public double gflops() {
            return flopsPerImage * (double) options.batchSize() / (medianMs() / 1000) / 1e9;
        }

        /** Model FLOP utilisation against the peak of the precision used. */
        public double mfu() {
            return gflops() / (precision == Precision.BF16 ? peakBf16Gflops : peakFp32Gflops);
        }

        public Map<String, Object> json() {
            ModelConfig m = options.model();
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("impl", "semaim-java");
            j.put("torch", "libtorch 2.10.0 (org.bytedeco:pytorch 2.10.0-1.5.13)");
            j.put("threads", threads);
            j.put("img", m.imageSize());
            j.put("patch", m.patchSize());
            j.put("dim", m.width());
            j.put("depth", m.depth());
            j.put("heads", m.heads());
            j.put("query_depth", m.decoderDepth());
            j.put("batch", options.batchSize());
            j.put("params", params);
            j.put("step_ms_median", round(medianMs()));
            j.put("step_ms_min", round(stepMs[0]));
            j.put("step_ms_max", round(stepMs[stepMs.length - 1]));
            j.put("images_per_s", round(imagesPerSecond()));
            j.put("last_loss", Math.round(lastLoss * 1e5) / 1e5);
            j.put("precision", precision.toString());
            j.put("channels", m.inChannels());
            j.put("blur", options.target().blurKernel());
            j.put("order", options.order());
            j.put("steps", stepMs.length);
            j.put("flops_per_image", flopsPerImage);
            j.put("gflops", round(gflops()));
            j.put("peak_fp32_gflops", round(peakFp32Gflops));
            j.put("peak_bf16_gflops", round(peakBf16Gflops));
            j.put("mfu", Math.round(mfu() * 1000) / 1000.0);
            j.put("peak_rss_mb", round(peakRssMb));
            j.put("split_ms", splitMs);
            if (worldSize > 1) {
                j.put("world_size", worldSize);
                j.put("global_batch", options.batchSize() * worldSize);
                j.put("allreduce_ms", round(allReduceMs));
            }
            return j;
        }

        private static double round(double v) {
            return Math.round(v * 10) / 10.0;
        }
    }

    private static final int PEAK_REPS = 20;

    public static Result run(Options o, Consumer<String> progress) {
        return run(o, progress, Distributed.single());
    }

    /**
     * Times the step on every rank of {@code dist} (gradients averaged as in {@code pretrain}, each rank with its own
     * synthetic batch); a multi-process run also times the all-reduce of one gradient's worth of floats on its own.
     */
    public static Result run(Options o, Consumer<String> progress, Distributed dist) {
        Torch.init();
        Device device = Torch.device(o.device());
        Precision precision = o.precision().resolve(device);
        Torch.manualSeed(o.seed());
        ModelConfig mc = o.model();
        SemAimModel model = new SemAimModel(mc, o.target());
        model.to(device, false);
        model.train(true);
        dist.broadcastFromMain(Tensors.list(model.parameters()));
        Torch.manualSeed(o.seed() + dist.rank());
        TrainStep step = TrainStep.withAdamW(model, 0.05, 1e-4, 0.9, 0.95, 1e-8,   // bench_step.py's AdamW, clip 3
                Orders.byName(o.order(), SimilarityKind.CLS), new Rng(o.seed()), 1, 3.0, precision);
        step.averageGradientsOver(dist, DataParallel.DEFAULT_BUCKET_MB);
        // Feature targets (HOG, EMA, a teacher) are computed as in pretrain, so their cost is timed too.
        try {
            step.useTargets(Targets.attach(Targets.prepare(o.target(), mc, progress), model,
                    AugmentConfig.pretraining(mc.imageSize(), mc.inChannels()), precision));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Tensor images = torch.randn(o.batchSize(), mc.inChannels(), mc.imageSize(), mc.imageSize())
                .to(device, torch.ScalarType.Float);
        // The peaks are the best of 20 products measured before the warm-up and again after the steps: a single short
        // measurement on a shared 2-core machine sometimes came out at half the peak (about 160 vs 330 GFLOPS fp32),
        // which doubled the reported MFU.
        double fp32 = Torch.matmulGflops(torch.ScalarType.Float, 1024, PEAK_REPS);
        double bf16 = Torch.matmulGflops(torch.ScalarType.BFloat16, 1024, PEAK_REPS);
        TrainStep.Timings timings = new TrainStep.Timings();
        for (int i = 0; i < o.warmup(); i++) {
            step.run(() -> images, timings);
            progress.accept("warm-up step " + (i + 1) + "/" + o.warmup());
        }
        timings.reset();
        double[] ms = new double[o.steps()];
        double loss = Double.NaN;
        for (int i = 0; i < o.steps(); i++) {
            long t = System.nanoTime();
            loss = step.run(() -> images, timings).loss();
            ms[i] = (System.nanoTime() - t) / 1e6;
            progress.accept(String.format("step %d/%d: %.1f ms, loss %.5f", i + 1, o.steps(), ms[i], loss));
        }
        Arrays.sort(ms);
        Map<String, Double> split = new LinkedHashMap<>();
        split.put("order", timings.order / 1e6 / o.steps());
        split.put("forward", timings.forward / 1e6 / o.steps());
        split.put("backward", timings.backward / 1e6 / o.steps());
        split.put("clip_and_optimiser", timings.update / 1e6 / o.steps());
        split.replaceAll((k, v) -> Math.round(v * 10) / 10.0);
        long params = Nn.namedParameters(model).values().stream().filter(Tensor::requires_grad)
                .mapToLong(Tensor::numel).sum();
        fp32 = Math.max(fp32, Torch.matmulGflops(torch.ScalarType.Float, 1024, PEAK_REPS));
        bf16 = Math.max(bf16, Torch.matmulGflops(torch.ScalarType.BFloat16, 1024, PEAK_REPS));
        double allReduce = dist.enabled() ? dist.timeAllReduce(params, 10) : 0;
        return new Result(o, precision, Torch.threads(), params, ms, loss, ModelFlops.trainingStep(mc), fp32, bf16,
                Memory.peakRssMb(), split, dist.worldSize(), allReduce);
    }
}
