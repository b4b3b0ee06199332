package semaim.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import semaim.ablation.FewLabels;
import semaim.ablation.FewLabelsTable;
import semaim.data.Datasets;
import semaim.data.ImageSource;
import semaim.eval.EncoderSource;
import semaim.io.RunLock;
import semaim.torch.Torch;
import semaim.util.Machine;

/** {@code semaim few-labels}: one seed of the few-label study ({@link FewLabels}) on one pre-trained encoder. */
@Command(name = "few-labels", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Does pre-training pay when labels are few? For each label fraction, a class-balanced labelled"
                + " subset (drawn with --seed from the training images outside a fixed validation split) is used to"
                + " fine-tune the pre-trained encoder, to fit linear and attentive probes on its frozen features and on"
                + " a random encoder's, a linear probe on raw pixels, and to fine-tune from scratch for as long as"
                + " pre-training plus the fine-tune took. Fine-tunes keep the epoch the validation split chooses;"
                + " everything is scored on the held-out images.",
            "Each arm's result is OUTPUT/frac-Npct/seed-S/ARM.json; a re-run skips what is done. OUTPUT/few-labels.md"
                    + " sums up every seed run so far."},
        footer = {"", "Example: semaim few-labels --checkpoint runs/fmnist-seed0 --train fmnist/train-images-idx3-ubyte"
                + " --test fmnist/t10k-images-idx3-ubyte --seed 0 --output study/fashion"})
public final class FewLabelsCommand implements CommandErrors.Command {
    private static final Logger LOG = LoggerFactory.getLogger("semaim");

    @Option(names = "--checkpoint", required = true, paramLabel = "PATH",
            description = "The pre-trained encoder: run folder, checkpoint folder or model.safetensors.")
    Path checkpoint;
    @Option(names = "--train", required = true, paramLabel = "PATH", description = "Labelled training images (IDX or class folders).")
    String train;
    @Option(names = "--test", required = true, paramLabel = "PATH", description = "Labelled held-out images.")
    String test;
    @Option(names = "--channels", defaultValue = "1", description = "1 or 3 for image folders. Default: ${DEFAULT-VALUE}.")
    int channels;
    @Option(names = "--output", required = true, paramLabel = "DIR", description = "Study folder (re-run to resume).")
    Path output;
    @Option(names = "--seed", defaultValue = "0", description = "Draws the labelled subsets and seeds every arm. Default: ${DEFAULT-VALUE}.")
    long seed;
    @Option(names = "--fractions", split = ",", defaultValue = "0.01,0.1", description = "Labelled fractions of the training images. Default: ${DEFAULT-VALUE}.")
    List<Double> fractions;
    @Option(names = "--val-size", defaultValue = "5000", description = "Validation images (class-balanced, outside every subset). Default: ${DEFAULT-VALUE}.")
    int valSize;
    @Option(names = "--val-seed", defaultValue = "0", description = "Draws the validation split; keep it fixed across seeds. Default: ${DEFAULT-VALUE}.")
    long valSeed;
    @Option(names = "--arms", split = ",", description = "Arms to run. Default: all (finetune, linear, attentive, random-linear, random-attentive, pixels-linear, scratch).")
    List<String> arms;
    @Option(names = "--finetune-epochs", split = ",", defaultValue = "100,30", description = "Fine-tuning epochs, one per fraction. Default: ${DEFAULT-VALUE}.")
    List<Integer> epochs;
    @Option(names = "--batch-size", defaultValue = "64") int batchSize;
    @Option(names = "--blr", defaultValue = "2e-3", description = "lr = blr x batch / 256. Default: ${DEFAULT-VALUE}.") double blr;
    @Option(names = "--layer-decay", defaultValue = "0.75", description = "Of the pre-trained fine-tune (scratch: none). Default: ${DEFAULT-VALUE}.") double layerDecay;
    @Option(names = "--drop-path", defaultValue = "0.1") double dropPath;
    @Option(names = "--crop-scale-min", defaultValue = "0.5") double cropScaleMin;
    @Option(names = "--lpft-epochs", defaultValue = "30", description = "LP-FT: the head first fitted as a linear probe for N epochs (0 = a random head). Default: ${DEFAULT-VALUE}.") int lpftEpochs;
    @Option(names = "--validations", defaultValue = "50", description = "At most this many validations per fine-tune. Default: ${DEFAULT-VALUE}.") int validations;
    @Option(names = "--probe-steps", defaultValue = "1000", description = "Optimiser steps of each probe. Default: ${DEFAULT-VALUE}.") int probeSteps;
    @Option(names = "--pretrain-seconds", paramLabel = "S",
            description = "The encoder's pre-training time, which the scratch arm gets on top of the fine-tune's. Default: the minutes of the run's budget.json, when it was timed on this machine.")
    Double pretrainSeconds;
    @Option(names = "--device", defaultValue = "cpu") String device;
    @Option(names = "--title", defaultValue = "Few-label study", description = "Heading of few-labels.md.") String title;

    @Override
    public Integer call() {
        return CommandErrors.guard("few-labels", () -> {
            Torch.init();
            FewLabels.Plan plan = new FewLabels.Plan(output, fractions, valSize, valSeed,
                    arms != null ? arms : FewLabels.ARMS, new FewLabels.Recipe(epochs, batchSize, blr, layerDecay,
                            dropPath, cropScaleMin, lpftEpochs, validations, probeSteps), device);
            EncoderSource encoder = EncoderSource.open(checkpoint);
            double pre = pretrainSeconds != null ? pretrainSeconds : budgetSeconds(encoder);
            ImageSource tr = Datasets.open(train, channels), te = Datasets.open(test, channels);
            Files.createDirectories(output);
            try (RunLock lock = RunLock.acquire(output, LOG::warn)) {
                new FewLabels(plan, encoder, pre, m -> LOG.info("{}", m)).run(tr, te, seed);
            }
            LOG.info("\n{}", FewLabelsTable.write(output, title));
            return ExitCodes.OK;
        });
    }

    /** Minutes x 60 of the budget.json in the checkpoint's run folder. */
    private static double budgetSeconds(EncoderSource encoder) throws IOException {
        Path p = encoder.checkpoint().file().toAbsolutePath().getParent();
        for (int up = 0; up < 3 && p != null; up++, p = p.getParent()) {
            Path budget = p.resolve(semaim.ablation.Budget.FILE);
            if (Files.isRegularFile(budget)) {
                JsonObject saved = JsonParser.parseString(Files.readString(budget)).getAsJsonObject();
                Optional<String> other = semaim.ablation.Budget.otherMachine(saved);
                if (other.isPresent()) {
                    throw new IllegalArgumentException(budget + " was timed on " + other.get() + ", not on this "
                            + Machine.describe() + ": its minutes are not this machine's time for those images, and the"
                            + " scratch arm would get them; give this machine's time with --pretrain-seconds");
                }
                return 60 * saved.get("minutes").getAsDouble();
            }
        }
        throw new IllegalArgumentException("no budget.json in the run folder of " + encoder.checkpoint().file()
                + ": give its pre-training time with --pretrain-seconds");
    }
}
