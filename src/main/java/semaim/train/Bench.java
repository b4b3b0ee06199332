package semaim.train;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
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
import semaim.torch.GemmPeak;
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
            double lastLoss, long flopsPerImage, GemmPeak.Peak peakFp32, GemmPeak.Peak peakBf16, double peakRssMb,
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

        /** The GEMM peak of the precision the step ran in (fp16 has no CPU peak here: bf16's stands in). */
        public GemmPeak.Peak peak() {
            return precision == Precision.FP32 ? peakFp32 : peakBf16;
        }

        /**
         * Model FLOP utilisation against the peak of the precision used, or NaN when it would exceed 1: the step
         * cannot beat its own kernels, so the peak measurement failed (a slow reading on a busy machine).
         */
        public double mfu() {
            double mfu = gflops() / peak().gflops();
            return mfu <= 1 ? mfu : Double.NaN;
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
            j.put("peak_fp32_gflops", round(peakFp32.gflops()));
            j.put("peak_bf16_gflops", round(peakBf16.gflops()));
            j.put("peak_readings_gflops", Arrays.stream(peak().readingsGflops()).map(Result::round).boxed().toList());
            j.put("peak_spread", Math.round(peak().spread() * 1000) / 1000.0);
            j.put("peak_shape", peak().bestShape());
            if (!Double.isNaN(mfu())) {   // absent: the peak measurement failed (bench says so)
                j.put("mfu", Math.round(mfu() * 1000) / 1000.0);
            }
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

    private static final int PEAK_READINGS = 5;
    private static final int PEAK_REPS = 3;

    /**
     * The matrix products of one step, batch x tokens rows each: the encoder's qkv, proj, fc1 and fc2, the decoder's
     * q/k/v/proj (width x width), and the prediction head.
     */
    static List<GemmPeak.Shape> gemmShapes(ModelConfig mc, int batchSize) {
        long rows = (long) batchSize * (mc.numPatches() + 1);
        long d = mc.width();
        return List.of(new GemmPeak.Shape("qkv", rows, d, 3 * d), new GemmPeak.Shape("proj", rows, d, d),
                new GemmPeak.Shape("fc1", rows, d, mc.mlpHidden()), new GemmPeak.Shape("fc2", rows, mc.mlpHidden(), d),
                new GemmPeak.Shape("head", (long) batchSize * mc.numPatches(), d, mc.pixelsPerPatch()));
    }

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
        // After the steps, in a warm process: the GEMMs of this step, in each precision (see GemmPeak).
        List<GemmPeak.Shape> shapes = gemmShapes(mc, o.batchSize());
        GemmPeak.Peak fp32 = GemmPeak.measure(torch.ScalarType.Float, shapes, PEAK_READINGS, PEAK_REPS);
        GemmPeak.Peak bf16 = GemmPeak.measure(torch.ScalarType.BFloat16, shapes, PEAK_READINGS, PEAK_REPS);
        double allReduce = dist.enabled() ? dist.timeAllReduce(params, 10) : 0;
        return new Result(o, precision, Torch.threads(), params, ms, loss, ModelFlops.trainingStep(mc), fp32, bf16,
                Memory.peakRssMb(), split, dist.worldSize(), allReduce);
    }
}
