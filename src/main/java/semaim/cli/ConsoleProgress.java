package semaim.cli;

import java.nio.file.Path;
import java.time.Duration;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import semaim.ablation.AblationGrid;

/**
 * Shows training progress: a progress bar (epoch, step, loss, lr, img/s, ETA) on a terminal; on a pipe or in CI,
 * one log line every {@code logEvery} steps instead, so logs stay readable.
 */
final class ConsoleProgress implements AblationGrid.Pretraining {
    private static final Logger LOG = LoggerFactory.getLogger("semaim");
    private final boolean terminal;
    private final int logEvery;
    private final int epochs;
    private ProgressBar bar;
    private long total;
    private int stepsPerEpoch;
    private long startStep;
    private long startNanos;

    ConsoleProgress(int logEvery, int epochs) {
        this.terminal = System.console() != null && System.getenv("CI") == null;
        this.logEvery = logEvery;
        this.epochs = epochs;
    }

    @Override
    public void started(long doneSteps, long totalSteps, int stepsPerEpoch, String description) {
        this.total = totalSteps;
        this.stepsPerEpoch = stepsPerEpoch;
        this.startStep = doneSteps;
        this.startNanos = System.nanoTime();
        LOG.info("{}", description);
        LOG.info("{} steps ({} per epoch, {} epochs){}", totalSteps, stepsPerEpoch, epochs,
                doneSteps > 0 ? ", " + doneSteps + " done" : "");
        if (terminal) {
            bar = new ProgressBarBuilder().setTaskName("pretrain").setInitialMax(totalSteps)
                    .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).setMaxRenderedLength(140)
                    .startsFrom(doneSteps, Duration.ZERO).build();
        }
    }

    @Override
    public void step(long step, int epoch, double loss, double lr, double imagesPerSecond) {
        String msg = String.format("ep %d/%d loss %.4f lr %.2e %.1f img/s", epoch + 1, epochs, loss, lr,
                imagesPerSecond);
        if (bar != null) {
            bar.stepTo(step);
            bar.setExtraMessage(msg);
        } else if (step % logEvery == 0 || step == total) {
            double elapsed = (System.nanoTime() - startNanos) / 1e9;
            double eta = step > startStep ? elapsed / (step - startStep) * (total - step) : 0;
            LOG.info("step {}/{} {} eta {}", step, total, msg, formatSeconds(eta));
        }
    }

    @Override
    public void checkpoint(Path folder) {
        if (bar == null) {
            LOG.info("checkpoint {}", folder);
        }
    }

    @Override
    public void info(String message) {
        LOG.info("{}", message);
    }

    @Override
    public void warn(String message) {
        LOG.warn("{}", message);
    }

    static String formatSeconds(double s) {
        long t = Math.round(s);
        return t >= 3600 ? String.format("%dh%02dm", t / 3600, (t % 3600) / 60)
                : String.format("%dm%02ds", t / 60, t % 60);
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}
