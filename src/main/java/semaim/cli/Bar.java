package semaim.cli;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** A progress bar on a terminal; elsewhere a log line at every tenth of the way. */
final class Bar implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("semaim");
    private final String task;
    private final long total;
    private final ProgressBar bar;
    private long lastDecile = -1;

    Bar(String task, long total) {
        this.task = task;
        this.total = Math.max(1, total);
        boolean terminal = System.console() != null && System.getenv("CI") == null;
        this.bar = terminal ? new ProgressBarBuilder().setTaskName(task).setInitialMax(total)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).setMaxRenderedLength(140).build() : null;
    }

    void stepTo(long done, String message) {
        if (bar != null) {
            bar.stepTo(done);
            if (message != null) {
                bar.setExtraMessage(message);
            }
            return;
        }
        long decile = done * 10 / total;
        if (decile != lastDecile) {
            lastDecile = decile;
            LOG.info("{} {}/{}{}", task, done, total, message == null ? "" : " " + message);
        }
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
    }
}
