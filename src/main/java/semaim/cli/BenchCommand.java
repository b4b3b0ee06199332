package semaim.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;


import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import semaim.model.HeadType;
import semaim.model.ModelConfig;
import semaim.target.LossType;
import semaim.target.TargetConfig;
import semaim.torch.DistEnv;
import semaim.torch.Distributed;
import semaim.torch.Precision;
import semaim.torch.Torch;
import semaim.train.Bench;

/** {@code semaim bench}: the pre-training step's speed, FLOPs and utilisation on this machine. */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Time the pre-training step (the code pretrain runs) on synthetic data after warm-up, for a"
                + " preset or any shape. Prints one JSON line (the field names of the reference's bench_step.py where"
                + " they mean the same) and a readable table: step time, img/s, analytic FLOPs per image, achieved"
                + " GFLOPS, the fp32 and bf16 matmul peaks measured in this process, MFU, peak RSS and the split of a"
                + " step.",
            "Example, the reference bench's ViT-Tiny: semaim bench --image-size 28 --patch-size 2 --width 192"
                    + " --depth 12 --heads 3 --decoder-depth 12 --batch-size 64"})
public final class BenchCommand implements CommandErrors.Command {
    private static final Logger LOG = LoggerFactory.getLogger("semaim");

    @Option(names = "--model", paramLabel = "PRESET", defaultValue = "vit_nano_patch4_28",
            description = "Starting preset; the shape options below override it. Default: ${DEFAULT-VALUE}.")
    String model;

    @Option(names = "--image-size") Integer imageSize;
    @Option(names = "--patch-size") Integer patchSize;
    @Option(names = "--width") Integer width;
    @Option(names = "--depth") Integer depth;
    @Option(names = "--heads") Integer heads;
    @Option(names = "--decoder-depth") Integer decoderDepth;
    @Option(names = "--channels", defaultValue = "3", description = "Input channels (the reference bench: 3). Default: ${DEFAULT-VALUE}.") int channels;
    @Option(names = "--head", defaultValue = "MLP") HeadType head;

    @Option(names = "--batch-size", defaultValue = "64") int batchSize;
    @Option(names = "--order", defaultValue = "semantic") String order;
    @Option(names = "--blur-kernel", defaultValue = "9", description = "0 = no blur. Default: ${DEFAULT-VALUE}.") int blurKernel;
    @Option(names = "--precision", defaultValue = "fp32", description = "fp32, bf16, fp16 or auto. Default: ${DEFAULT-VALUE}.") String precision;
    @Option(names = "--threads", description = "Intra-op threads (default: all cores).") Integer threads;
    @Option(names = "--warmup", defaultValue = "2") int warmup;
    @Option(names = "--steps", defaultValue = "5") int steps;
    @Option(names = "--device", defaultValue = "cpu") String device;
    @Option(names = "--seed", defaultValue = "0") long seed;
    @Option(names = "--output", paramLabel = "FILE", description = "Also append the JSON line to this file.") Path output;
    @Mixin DistOptions distOptions;

    @Override
    public Integer call() {
        return CommandErrors.guard("bench", () -> {
            if (steps <= 0 || warmup < 0 || batchSize <= 0) {
                throw new IllegalArgumentException("--steps and --batch-size must be positive, --warmup >= 0");
            }
            if (threads != null) {
                if (threads <= 0) {
                    throw new IllegalArgumentException("--threads must be positive, got " + threads);
                }
                System.setProperty("semaim.threads", threads.toString());
                Torch.setThreads(threads);
            }
            ModelConfig m = ModelConfig.preset(model).withInChannels(channels).withHeadType(head)
                    .withOverrides(or(imageSize), or(patchSize), or(width), or(depth), or(heads), or(decoderDepth));
            m.gridWarning(ModelConfig.preset(model)).ifPresent(LOG::warn);
            TargetConfig target = new TargetConfig(blurKernel, 1.0, true, LossType.L2);
            Bench.Options o = new Bench.Options(m, target, order, batchSize, warmup, steps, Precision.parse(precision),
                    device, seed);
            semaim.order.Orders.byName(order, semaim.order.SimilarityKind.CLS);   // fail early on a bad name
            LOG.info("bench: {} ({} px, patch {}, width {}, depth {}, heads {}, decoder {}), batch {}, {} warm-up + {}"
                    + " timed steps", m.name(), m.imageSize(), m.patchSize(), m.width(), m.depth(), m.heads(),
                    m.decoderDepth(), batchSize, warmup, steps);
            DistEnv env = distOptions.env();
            Distributed dist = distOptions.join("bench", env, DistOptions.deviceFor(device, env));
            Bench.Result r = Bench.run(o, dist.isMain() ? LOG::info : m2 -> { }, dist);
            dist.close();
            if (!dist.isMain()) {
                return ExitCodes.OK;
            }
            printJsonLine(r.json(), output);
            table(r);
            return ExitCodes.OK;
        });
    }

    /** A benchmark's result as one JSON line on stdout, also appended to {@code output} when given. */
    static void printJsonLine(Object result, Path output) throws java.io.IOException {
        String json = semaim.io.Json.gson(false).toJson(result);
        System.out.println(json);
        if (output != null) {
            Files.writeString(output, json + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        }
    }

    private static int or(Integer v) {
        return v == null ? 0 : v;
    }

    private static void table(Bench.Result r) {
        Map<String, Object> j = r.json();
        LOG.info("precision {} ({} threads), {} parameters", j.get("precision"), j.get("threads"), j.get("params"));
        LOG.info("step time   median {} ms, min {} ms, max {} ms -> {} img/s", j.get("step_ms_median"),
                j.get("step_ms_min"), j.get("step_ms_max"), j.get("images_per_s"));
        LOG.info("FLOPs/image {} GFLOP (similarity pass + forward + backward) -> {} GFLOPS achieved",
                String.format("%.3f", r.flopsPerImage() / 1e9), j.get("gflops"));
        LOG.info("GEMM peak on the step's shapes: fp32 {} GFLOPS, bf16 {} GFLOPS; {} readings {} (spread {}%, best"
                + " shape {})", j.get("peak_fp32_gflops"), j.get("peak_bf16_gflops"), j.get("precision"),
                j.get("peak_readings_gflops"), Math.round(r.peak().spread() * 100), j.get("peak_shape"));
        if (Double.isNaN(r.mfu())) {
            LOG.warn("MFU not printed: the step reached {} GFLOPS, above the measured peak, so the peak measurement"
                    + " failed (a busy machine?); run bench again", j.get("gflops"));
        } else {
            LOG.info("MFU {}", j.get("mfu"));
        }
        LOG.info("step split  {} ms; peak RSS {} MiB", j.get("split_ms"), j.get("peak_rss_mb"));
        if (r.worldSize() > 1) {
            LOG.info("{} processes, global batch {}: all-reduce of the gradients alone {} ms (overlapped with backward"
                    + " in the step)", r.worldSize(), j.get("global_batch"), j.get("allreduce_ms"));
        }
    }
}
