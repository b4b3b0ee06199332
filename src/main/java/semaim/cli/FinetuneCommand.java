package semaim.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import semaim.eval.FineTuner;
import semaim.io.Provenance;
import semaim.model.VisionTransformer;
import semaim.torch.Torch;

/** {@code semaim finetune}: end-to-end fine-tuning (from a checkpoint, or from scratch as the baseline). */
@Command(name = "finetune", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Fine-tune a ViT classifier initialised from a pre-training checkpoint (encoder only), or from "
                + "scratch without --checkpoint: the baseline every pre-training must beat. Evaluates on the held-out "
                + "split after every epoch; keeps best.safetensors and last.safetensors."})
public final class FinetuneCommand implements CommandErrors.Command {
    private static final Logger LOG = LoggerFactory.getLogger("semaim");

    @Mixin EvalOptions options;

    @Option(names = "--epochs", defaultValue = "10") int epochs;
    @Option(names = "--batch-size", defaultValue = "64") int batchSize;
    @Option(names = "--blr", defaultValue = "5e-4", description = "lr = blr x batch / 256. Default: ${DEFAULT-VALUE}.") double blr;
    @Option(names = "--min-lr", defaultValue = "1e-6") double minLr;
    @Option(names = "--warmup-epochs", description = "Default: min(5, epochs / 5).") Double warmupEpochs;
    @Option(names = "--weight-decay", defaultValue = "0.05") double weightDecay;
    @Option(names = "--layer-decay", defaultValue = "0.65") double layerDecay;
    @Option(names = "--drop-path", defaultValue = "0.1") double dropPath;
    @Option(names = "--smoothing", defaultValue = "0.1") double smoothing;
    @Option(names = "--mixup", defaultValue = "0.8", description = "Mixup alpha (0 = off).") double mixup;
    @Option(names = "--cutmix", defaultValue = "1.0", description = "CutMix alpha (0 = off).") double cutmix;
    @Option(names = "--mix-prob", defaultValue = "1.0") double mixProb;
    @Option(names = "--switch-prob", defaultValue = "0.5") double switchProb;
    @Option(names = "--crop-scale-min", defaultValue = "0.08") double cropScaleMin;
    @Option(names = "--rand-augment", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "RandAugment rand-m9-mstd0.5-inc1 (reference: on). Default: ${DEFAULT-VALUE}.")
    boolean randAugment;
    @Option(names = "--reprob", defaultValue = "0.25", description = "Random erasing probability (0 = off).") double reprob;
    @Option(names = "--pool", defaultValue = "MEAN", description = "MEAN (+ fc_norm, reference) or CLS. Default: ${DEFAULT-VALUE}.")
    VisionTransformer.Pooling pool;
    @Option(names = "--workers", defaultValue = "2") int workers;
    @Option(names = "--probe-epochs", defaultValue = "0", paramLabel = "N", description = "LP-FT: first fit the head as"
            + " a linear probe on the frozen features for N epochs (0 = the head starts at random, as the reference)."
            + " Default: ${DEFAULT-VALUE}.") int probeEpochs;
    @Option(names = "--weights-dir", paramLabel = "DIR", description = "Where best/last weights go (default: next to the result file).")
    Path weightsDir;

    @Override
    public Integer call() {
        return CommandErrors.guard("finetune", () -> {
            Torch.init();
            Evaluation ev = new Evaluation(options, options.checkpoint == null ? "finetune-scratch" : "finetune", dropPath);
            int classes = Evaluation.classes(ev.data);
            VisionTransformer model = ev.encoder(pool, classes);
            var device = ev.device();
            model.to(device, false);
            FineTuner.Options o = new FineTuner.Options(epochs, batchSize, blr, minLr,
                    warmupEpochs != null ? warmupEpochs : Math.min(5, epochs / 5.0), weightDecay, layerDecay,
                    smoothing, mixup, cutmix, mixProb, switchProb, cropScaleMin, randAugment, reprob, options.seed, workers, probeEpochs);
            Path dir = weightsDir != null ? weightsDir : Path.of("results", "finetune-weights-"
                    + java.time.LocalDateTime.now().format(java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
            if (ev.dist.isMain()) {
                java.nio.file.Files.createDirectories(dir);
            }
            FineTuner.Result r;
            Bar[] holder = {null};
            try {
                r = FineTuner.run(model, ev.data.train(), ev.data.test(), o, device, dir,
                        Provenance.of(ev.data.train().description(), ev.data.train().size()), ev.dist,
                        new FineTuner.Listener() {
                            @Override
                            public void started(int totalSteps) {
                                holder[0] = new Bar("finetune", totalSteps);
                            }

                            @Override
                            public void step(int step, double loss, double lr) {
                                holder[0].stepTo(step, String.format("loss %.4f lr %.2e", loss, lr));
                            }

                            @Override
                            public void epoch(int epoch, double top1, double top5, double loss) {
                                LOG.info("epoch {}/{}: train loss {}, held-out top-1 {}%, top-5 {}%", epoch, epochs,
                                        String.format("%.4f", loss), String.format("%.2f", top1), String.format("%.2f", top5));
                            }
                        });
            } finally {
                if (holder[0] != null) {
                    holder[0].close();
                }
            }
            LOG.info("fine-tune: best top-1 {}% (epoch {}), last top-1 {}%", String.format("%.2f", r.bestTop1()),
                    r.bestEpoch(), String.format("%.2f", r.lastTop1()));
            Map<String, Object> metrics = new LinkedHashMap<>();
            metrics.put("best_top1", r.bestTop1());
            metrics.put("best_epoch", r.bestEpoch());
            metrics.put("last_top1", r.lastTop1());
            metrics.put("last_top5", r.lastTop5());
            metrics.put("history_epoch_loss_top1_top5", r.history());
            metrics.put("best_weights", r.best().toString());
            metrics.put("last_weights", r.last().toString());
            Map<String, Object> settings = new LinkedHashMap<>();
            settings.put("options", o);
            settings.put("pool", pool);
            settings.put("drop_path", dropPath);
            ev.writeResult(options.checkpoint == null ? "finetune-scratch" : "finetune", settings, metrics);
            return ExitCodes.OK;
        });
    }
}
