package semaim.train.callbacks;

import java.io.IOException;
import java.nio.file.Path;

import semaim.data.Datasets;
import semaim.model.SemAimModel;
import semaim.train.PretrainConfig;
import semaim.train.Pretrainer;
import semaim.viz.MapWriter;
import semaim.viz.SampleImages;

/**
 * Draws the maps of six fixed training images every N epochs into {@code maps/epoch-NNN.png}, so one can watch the
 * semantic centre move as training goes on. Forwards everything else to the wrapped listener.
 */
public final class MapsEveryEpochs extends ForwardingListener {
    private final PretrainConfig cfg;
    private final Path out;
    private final int every;
    private SampleImages samples;

    public MapsEveryEpochs(Pretrainer.Listener inner, PretrainConfig cfg, Path out, int every) {
        super(inner);
        this.cfg = cfg;
        this.out = out;
        this.every = every;
    }

    @Override
    public void epochEnd(int epochsDone, SemAimModel model, semaim.model.Teacher teacher) {
        if (epochsDone % every != 0) {
            return;
        }
        try {
            if (samples == null) {
                samples = SampleImages.first(Datasets.open(cfg.data().path(), cfg.data().channels()), 6);
            }
            MapWriter.write(model, teacher, samples, out.resolve("maps").resolve(String.format("epoch-%03d",
                    epochsDone)), "overview.png", 0);
            java.nio.file.Files.copy(out.resolve("maps").resolve(String.format("epoch-%03d", epochsDone))
                    .resolve("overview.png"), out.resolve("maps").resolve(String.format("epoch-%03d.png", epochsDone)),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            inner.warn("could not draw the maps after epoch " + epochsDone + ": " + e.getMessage());
        }
    }
}
