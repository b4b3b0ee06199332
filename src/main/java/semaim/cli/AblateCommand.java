package semaim.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;


import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import semaim.ablation.AblationGrid;
import semaim.ablation.Budget;
import semaim.eval.EvalData;
import semaim.io.RunLock;
import semaim.model.VisionTransformer;
import semaim.torch.Torch;
import semaim.train.PretrainConfig;

/**
 * {@code semaim ablate}: the paper's ablations (Table 1 orders, Table 2 targets, Table 3 decoder depth) at one
 * budget on your data, run by {@link AblationGrid}. Every pre-training option applies to all cells; the grid axes
 * override order, target and decoder depth per cell.
 */
@Command(name = "ablate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run a grid of pre-training configurations (orders x targets x decoder depths) at one budget, "
                + "evaluate each with k-NN and a linear probe, and write ablation.md, ablation.csv and ablation.png.",
            "Targets: pixel (Gaussian-blurred, per-patch normalised, the reference), pixel-noblur, pixel-raw, hog,"
                    + " ema, and teacher:FILE (a CLIP or timm-named ViT teacher; also clip:FILE, dino:FILE, vit:FILE).",
            "Each cell starts from the cpu recipe (checkpoints at epoch ends, the last 2 kept, metrics every 20 steps);"
                    + " the pre-training options below override it for every cell."})
public final class AblateCommand implements CommandErrors.Command {
    private static final Logger LOG = LoggerFactory.getLogger("semaim");

    /** The base of every cell: the cpu recipe, keeping less per cell. */
    static final PretrainConfig BASE = PretrainConfig.CPU.withRun(new PretrainConfig.Run(
            PretrainConfig.CPU.run().seed(), PretrainConfig.CPU.run().device(), /* maxSteps: all */ 0,
            /* checkpointEvery: epoch ends */ 0, /* keepLast */ 2, /* logEvery */ 20, PretrainConfig.CPU.run().precision()));

    @Option(names = "--orders", split = ",", defaultValue = "semantic,stochastic,raster",
            description = "Orders to compare. Default: ${DEFAULT-VALUE}.")
    List<String> orders;

    @Option(names = "--targets", split = ",", defaultValue = "pixel", description = "Targets to compare. Default: ${DEFAULT-VALUE}.")
    List<String> targets;

    @Option(names = "--decoder-depths", split = ",", description = "Decoder depths to compare. Default: the model preset's.")
    List<Integer> decoderDepths;

    @Option(names = "--output", paramLabel = "DIR", required = true, description = "Grid folder (re-run to resume).")
    Path output;

    @Option(names = "--seeds", split = ",", paramLabel = "S",
            description = "Repeat every cell with each seed; ablation.md then adds the mean and spread per configuration.")
    List<Long> seeds;

    @Option(names = "--budget-images", paramLabel = "N",
            description = "Pre-train every cell on N images seen (epochs and steps derived from the data size and the effective batch; the schedule spans the budget), so cells compare at equal cost.")
    Long budgetImages;

    @Option(names = "--budget-minutes", paramLabel = "M",
            description = "Pre-train every cell on the images this machine pre-trains in M minutes: the step of the base configuration is timed first (semaim bench), and the resulting image budget is kept in budget.json so a re-run resumes with the same one. Instead of --budget-images.")
    Double budgetMinutes;

    @Option(names = "--pools", split = ",", paramLabel = "POOL",
            description = "Features read by k-NN and the linear probe: cls (after the final norm, the reference), mean (patch tokens, then a norm), concat (mean patch tokens of each of the last 4 blocks, standardised and concatenated, as AIM). The first gives the main columns. Default: cls.")
    List<VisionTransformer.Pooling> pools;

    @Option(names = "--baselines", split = ",", paramLabel = "NAME",
            description = "Rows to compare against, evaluated once per seed: random (a randomly initialised encoder of the cells' shape), pixels (raw pixels as features), scratch (fine-tuning from a random initialisation for as long as the seed's first cell pre-trained and fine-tuned; needs --finetune-epochs).")
    List<String> baselines;

    @Option(names = "--eval-data", description = "Folder with train/ and val/ for evaluation.") String evalData;
    @Option(names = "--train", description = "Evaluation training split (IDX file or folder).") String train;
    @Option(names = "--test", description = "Evaluation held-out split (IDX file or folder).") String test;
    @Option(names = "--train-limit", defaultValue = "0") int trainLimit;
    @Option(names = "--test-limit", defaultValue = "0") int testLimit;
    @Option(names = "--linprobe-epochs", defaultValue = "30") int linprobeEpochs;
    @Option(names = "--finetune-epochs", defaultValue = "0", description = "0 = no fine-tuning.") int finetuneEpochs;
    @Option(names = "--lpft-epochs", defaultValue = "0", paramLabel = "N",
            description = "Also fine-tune each cell with LP-FT: the head first fitted as a linear probe for N epochs (column lpft_top1; finished cells get it from their last checkpoint). 0 = off. Default: ${DEFAULT-VALUE}.")
    int lpftEpochs;

    @Mixin
    PretrainOptions pretrain;

    @Override
    public Integer call() {
        return CommandErrors.guard("ablate", () -> {
            Torch.init();
            PretrainConfig base = pretrain.over(BASE);
            if (budgetImages != null && budgetMinutes != null) {
                throw new IllegalArgumentException("give --budget-images or --budget-minutes, not both");
            }
            if (budgetMinutes != null) {
                budgetImages = Budget.imagesInMinutes(base, budgetMinutes, output, m -> LOG.info("{}", m));
            }
            if (budgetImages != null) {
                int size = semaim.data.Datasets.open(base.data().path(), base.data().channels(),
                        base.data().pixelLimit()).size();
                base = base.withImageBudget(budgetImages, size);
                LOG.info("budget: {} images seen = {} steps over {} epoch(s) of {} images", budgetImages,
                        base.run().maxSteps(), base.optim().epochs(), size);
            }
            AblationGrid grid = new AblationGrid(output, base, orders, targets,
                    decoderDepths != null ? decoderDepths : List.of(0), seeds != null ? seeds : List.of(),
                    baselines != null ? baselines : List.of(), pools != null ? pools : List.of(), linprobeEpochs,
                    finetuneEpochs, lpftEpochs);
            EvalData eval = EvalData.open(evalData, train, test, base.data().channels(), trainLimit, testLimit);
            try (RunLock lock = RunLock.acquire(output, LOG::warn)) {   // one grid process per folder
                runGrid(grid, eval);
            }
            return ExitCodes.OK;
        });
    }

    private static void runGrid(AblationGrid grid, EvalData eval) throws IOException {
        grid.run(eval, new AblationGrid.Reporter() {
            @Override
            public AblationGrid.Pretraining pretraining(AblationGrid.Cell cell) {
                return new ConsoleProgress(cell.config().run().logEvery(), cell.config().optim().epochs());
            }

            @Override
            public AblationGrid.Counter features(long total) {
                Bar bar = new Bar("features", total);
                return new AblationGrid.Counter() {
                    @Override
                    public void accept(long done) {
                        bar.stepTo(done, null);
                    }

                    @Override
                    public void close() {
                        bar.close();
                    }
                };
            }

            @Override
            public void info(String message) {
                LOG.info("{}", message);
            }
        });
    }
}
