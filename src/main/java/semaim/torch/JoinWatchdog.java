package semaim.torch;

import java.time.Duration;
import java.util.function.Consumer;

/**
 * Bounds the start of a multi-process run whatever native code does. c10d's store client, connected to a port that
 * accepts but never answers (another program on MASTER_PORT, a firewall that swallows packets), waits for the reply
 * with no timeout of its own; this watchdog then ends the process through {@code onFailure} (which prints one line and
 * exits) {@link #GRACE_SECONDS} after the join's timeout, naming what the rank was doing.
 */
final class JoinWatchdog implements AutoCloseable {
    /** Beyond the timeout: the handshake's own checks end a start at the timeout, this only catches native blocks. */
    static final long GRACE_SECONDS = 2;

    private final int rank;
    private final Duration timeout;
    private final Consumer<String> onFailure;
    private final Thread thread;
    private volatile long deadline;
    private volatile String phase = "starting";
    private volatile boolean done;

    JoinWatchdog(int rank, Duration timeout, Consumer<String> onFailure) {
        this.rank = rank;
        this.timeout = timeout;
        this.onFailure = onFailure;
        restart();
        thread = new Thread(this::watch, "semaim-join-watchdog");
        thread.setDaemon(true);
        thread.start();
    }

    /** What the rank is doing now (for the message). */
    void phase(String what) {
        phase = what;
    }

    /** A fresh timeout from now (for a phase that c10d times itself). */
    void restart() {
        deadline = System.nanoTime() + timeout.toNanos() + Duration.ofSeconds(GRACE_SECONDS).toNanos();
    }

    private void watch() {
        while (!done) {
            if (System.nanoTime() > deadline) {
                if (!done) {
                    onFailure.accept("rank " + rank + " could not join the run within " + timeout.toSeconds()
                            + " s (--dist-timeout): no answer while " + phase);
                }
                return;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    @Override
    public void close() {
        done = true;
        thread.interrupt();
    }
}
