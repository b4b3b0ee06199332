package semaim.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import semaim.data.DataException;
import semaim.eval.EncoderCheckpoint;
import semaim.eval.EncoderSource;
import semaim.model.SemAimModel;
import semaim.torch.Torch;
import semaim.viz.MapWriter;
import semaim.viz.Report;
import semaim.viz.SampleImages;

/** {@code semaim report RUN_DIR}: one self-contained HTML page for a pre-training run. */
@Command(name = "report", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write RUN_DIR/report.html: config, provenance, training curves, maps on sample images and "
                + "evaluation results (RUN_DIR/eval/*.json), images inlined."})
public final class ReportCommand implements CommandErrors.Command {
    private static final Logger LOG = LoggerFactory.getLogger("semaim");

    @Parameters(index = "0", paramLabel = "RUN_DIR") Path runDir;

    @Option(names = "--images", split = ",", paramLabel = "PATH",
            description = "Also draw the maps of the newest checkpoint on these images (files, folders, IDX files).")
    List<String> images;

    @Option(names = "--limit", defaultValue = "6") int limit;

    @Override
    public Integer call() {
        return CommandErrors.guard("report", () -> {
            if (!Files.isDirectory(runDir)) {
                throw new DataException(runDir + " is not a run folder");
            }
            List<Path> extra = new ArrayList<>();
            if (images != null && !images.isEmpty()) {
                Torch.init();
                EncoderCheckpoint ck = EncoderSource.open(runDir).checkpoint();
                SemAimModel m = ck.fullModel();
                SampleImages samples = SampleImages.load(images, ck.channels(), limit);
                extra.add(MapWriter.write(m, samples, runDir.resolve("report-assets").resolve("maps"),
                        "report-samples.png", 0));
            }
            Path out = Report.write(runDir, extra);
            LOG.info("report: {}", out.toAbsolutePath());
            return ExitCodes.OK;
        });
    }
}
