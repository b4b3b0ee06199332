package semaim.cli;

import java.util.LinkedHashMap;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import semaim.data.EvalTransform;
import semaim.eval.AttentiveProbe;
import semaim.eval.Features;
import semaim.model.VisionTransformer;
import semaim.torch.Precision;
import semaim.torch.Torch;

/** {@code semaim attnprobe}: the attentive probe of a frozen encoder (AIM's protocol for autoregressive models). */
@Command(name = "attnprobe", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Attentive-probe accuracy of a frozen encoder: a learned query attends to the patch tokens"
                + " (multi-head, width / 64 heads), then BatchNorm (no affine) + Linear; AdamW, cosine schedule. The"
                + " tokens are computed once and held in memory. Without --data/--train/--test: the embedded"
                + " Fashion-MNIST subsets."})
public final class AttnprobeCommand implements CommandErrors.Command {
    private static final Logger LOG = LoggerFactory.getLogger("semaim");

    @Mixin EvalOptions options;

    @Option(names = "--epochs", defaultValue = "30", description = "Default: ${DEFAULT-VALUE}.") int epochs;
    @Option(names = "--batch-size", defaultValue = "256") int batchSize;
    @Option(names = "--blr", defaultValue = "0.001", description = "lr = blr x batch / 256. Default: ${DEFAULT-VALUE}.") double blr;
    @Option(names = "--weight-decay", defaultValue = "0.05", description = "On the matrices. Default: ${DEFAULT-VALUE}.") double weightDecay;
    @Option(names = "--warmup-epochs", defaultValue = "1") double warmupEpochs;

    @Override
    public Integer call() {
        return CommandErrors.guard("attnprobe", () -> {
            Torch.init();
            Evaluation ev = new Evaluation(options, "attnprobe", 0.0);
            VisionTransformer enc = ev.encoder(VisionTransformer.Pooling.CLS, 0);
            var device = ev.device();
            enc.to(device, false);
            Precision p = Precision.parse(options.precision).resolve(device);
            EvalTransform t = EvalTransform.standard(enc.config().imageSize(), ev.data.train().channels());
            Features.Tokens train, test;
            try (Bar bar = new Bar("tokens", ev.data.train().size() + ev.data.test().size())) {
                train = Features.extractTokens(enc, ev.data.train(), t, device, 256, p, n -> bar.stepTo(n, null));
                int offset = train.rows();
                test = Features.extractTokens(enc, ev.data.test(), t, device, 256, p,
                        n -> bar.stepTo(offset + n, null));
            }
            AttentiveProbe.Result r;
            try (Bar bar = new Bar("attnprobe", epochs)) {
                r = AttentiveProbe.train(train, test, epochs, Math.min(batchSize, train.rows()), blr, weightDecay,
                        warmupEpochs, options.seed, e -> bar.stepTo(e, null));
            }
            LOG.info("attentive probe: top-1 {}%, top-5 {}%", String.format("%.2f", r.top1()),
                    String.format("%.2f", r.top5()));
            Map<String, Object> metrics = Evaluation.classificationMetrics(r.top1(), r.top5(), r.history());
            Map<String, Object> settings = new LinkedHashMap<>();
            settings.put("epochs", epochs);
            settings.put("batch_size", batchSize);
            settings.put("blr", blr);
            settings.put("weight_decay", weightDecay);
            settings.put("warmup_epochs", warmupEpochs);
            settings.put("tokens", "patch tokens after the final norm, computed once");
            ev.writeResult("attnprobe", settings, metrics);
            return ExitCodes.OK;
        });
    }
}
