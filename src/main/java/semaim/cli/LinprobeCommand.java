package semaim.cli;

import java.util.LinkedHashMap;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import semaim.api.Pooling;
import semaim.eval.Features;
import semaim.eval.LinearProbe;
import semaim.model.VisionTransformer;
import semaim.torch.Torch;

/** {@code semaim linprobe}: linear probing of a frozen encoder. */
@Command(name = "linprobe", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Linear-probe accuracy of a frozen encoder: BatchNorm (no affine) + Linear on the CLS feature, "
                + "SGD momentum 0.9, cosine schedule. Features are computed once and cached."})
public final class LinprobeCommand implements CommandErrors.Command {
    private static final Logger LOG = LoggerFactory.getLogger("semaim");

    @Mixin EvalOptions options;

    @Option(names = "--epochs", defaultValue = "30", description = "Default: ${DEFAULT-VALUE} (reference: 90 on ImageNet).") int epochs;
    @Option(names = "--batch-size", defaultValue = "256") int batchSize;
    @Option(names = "--blr", defaultValue = "0.1", description = "lr = blr x batch / 256. Default: ${DEFAULT-VALUE}.") double blr;
    @Option(names = "--warmup-epochs", defaultValue = "0") double warmupEpochs;
    @Option(names = "--pool", defaultValue = "cls", converter = PoolingConverter.class, description = "Feature: cls (the CLS token after the final norm), mean (the mean patch token, then fc_norm) or concat (the mean patch tokens of the last 4 blocks, each standardised, concatenated). Default: ${DEFAULT-VALUE}.")
    Pooling pool;

    @Override
    public Integer call() {
        return CommandErrors.guard("linprobe", () -> {
            Torch.init();
            Evaluation ev = new Evaluation(options, "linprobe", 0.0);
            VisionTransformer enc = ev.encoder(Evaluation.oneVector(pool), 0);
            var device = ev.device();
            enc.to(device, false);
            Features.Set[] f = ev.features(enc, device, 256);
            LinearProbe.Result r;
            try (Bar bar = new Bar("linprobe", epochs)) {
                r = LinearProbe.train(f[0], f[1], epochs, batchSize, blr, warmupEpochs, options.seed, ev.dist,
                        e -> bar.stepTo(e, null));
            }
            LOG.info("linear probe: top-1 {}%, top-5 {}%", String.format("%.2f", r.top1()), String.format("%.2f", r.top5()));
            Map<String, Object> metrics = Evaluation.classificationMetrics(r.top1(), r.top5(), r.history());
            Map<String, Object> settings = new LinkedHashMap<>();
            settings.put("epochs", epochs);
            settings.put("batch_size", batchSize);
            settings.put("blr", blr);
            settings.put("warmup_epochs", warmupEpochs);
            settings.put("pool", pool);
            settings.put("cached_features", true);
            ev.writeResult("linprobe", settings, metrics);
            return ExitCodes.OK;
        });
    }
}
