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
import semaim.eval.Knn;
import semaim.model.VisionTransformer;
import semaim.torch.Torch;

/** {@code semaim knn}: DINO-style weighted k-NN on frozen features. */
@Command(name = "knn", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Weighted k-NN accuracy of a frozen encoder (DINO protocol: L2-normalised features, "
                + "votes exp(sim/T)). Without --data/--train/--test: the embedded Fashion-MNIST subsets."})
public final class KnnCommand implements CommandErrors.Command {
    private static final Logger LOG = LoggerFactory.getLogger("semaim");

    @Mixin EvalOptions options;

    @Option(names = "--k", split = ",", defaultValue = "10,20,30", description = "Neighbour counts. Default: ${DEFAULT-VALUE}.")
    int[] ks;

    @Option(names = "--temperature", defaultValue = "0.07", description = "Vote temperature T. Default: ${DEFAULT-VALUE}.")
    double temperature;

    @Option(names = "--pool", defaultValue = "cls", converter = PoolingConverter.class, description = "Feature: cls (the CLS token after the final norm), mean (the mean patch token, then fc_norm) or concat (the mean patch tokens of the last 4 blocks, each standardised, concatenated). Default: ${DEFAULT-VALUE}.")
    Pooling pool;

    @Option(names = "--batch-size", defaultValue = "256") int batchSize;
    @Option(names = "--chunk", defaultValue = "512", description = "Test features compared at once (bounds memory).") int chunk;

    @Override
    public Integer call() {
        return CommandErrors.guard("knn", () -> {
            Torch.init();
            Evaluation ev = new Evaluation(options, "knn", 0.0);
            VisionTransformer enc = ev.encoder(Evaluation.oneVector(pool), 0);
            var device = ev.device();
            enc.to(device, false);
            Features.Set[] f = ev.features(enc, device, batchSize);   // shared among the ranks of a launch
            if (!ev.dist.isMain()) {
                ev.writeResult("knn", Map.of(), Map.of());   // rank 0 scores and writes; this leaves the group
                return ExitCodes.OK;
            }
            Map<Integer, Knn.Accuracy> acc = Knn.evaluate(f[0], f[1], ks, temperature, chunk);
            Map<String, Object> metrics = new LinkedHashMap<>();
            acc.forEach((k, a) -> {
                LOG.info("k-NN k={}: top-1 {}%, top-5 {}%", k, String.format("%.2f", a.top1()), String.format("%.2f", a.top5()));
                metrics.put("k" + k + "_top1", a.top1());
                metrics.put("k" + k + "_top5", a.top5());
            });
            Map<String, Object> settings = new LinkedHashMap<>();
            settings.put("k", ks);
            settings.put("temperature", temperature);
            settings.put("pool", pool);
            ev.writeResult("knn", settings, metrics);
            return ExitCodes.OK;
        });
    }
}
