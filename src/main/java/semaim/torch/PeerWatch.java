package semaim.torch;

import java.time.Duration;
import java.util.Locale;
import java.util.function.Consumer;

import org.bytedeco.pytorch.Store;
import org.bytedeco.pytorch.StringVector;

/**
 * Notices a rank that died or hangs, so that every other rank exits within the timeout with a message naming it,
 * instead of waiting forever inside a collective (a dead peer's socket is not always closed, and a stopped process
 * keeps its sockets open).
 *
 * <p>Every rank beats once a second through the rendezvous store ({@code semaim/beat/R} = counter and training
 * step) and watches one neighbour, rank R+1 (a ring, so the store sees O(world) operations per second). A neighbour
 * whose beat has not moved for the timeout is declared gone and the verdict is published under
 * {@code semaim/failed}, which every rank checks each second; a rank that fails with an error publishes it there
 * too. When the store itself is gone, the rank hosting it (rank 0, for the TCP store) is.
 *
 * <p>{@link #diagnose} is for a collective that failed at once (a killed peer's connection closes): it watches all
 * beats for a few seconds and names the ranks that stopped.
 */
final class PeerWatch implements AutoCloseable {
    static final String FAILED = "semaim/failed";
    private static final String BEAT = "semaim/beat/";
    private static final String DONE = "done";

    private final Store store;
    private final int rank;
    private final int world;
    private final long timeoutNanos;
    private final long intervalMillis;
    private final Consumer<String> onFailure;
    private final Thread thread;
    private final String storeHost;
    private volatile long step;
    private volatile boolean closed;

    /**
     * Starts watching. {@code onFailure} receives a one-line message naming the failed rank, on the watch thread,
     * once; it is expected to end the process. {@code storeHost} says where the store lives, for messages.
     */
    PeerWatch(Store store, int rank, int world, Duration timeout, String storeHost, Consumer<String> onFailure) {
        this.store = store;
        this.rank = rank;
        this.world = world;
        this.timeoutNanos = timeout.toNanos();
        this.intervalMillis = Math.max(100, Math.min(1000, timeout.toMillis() / 5));
        this.storeHost = storeHost;
        this.onFailure = onFailure;
        beat(0);
        thread = new Thread(this::watch, "semaim-peer-watch");
        thread.setDaemon(true);
        thread.start();
    }

    /** Records training progress (shown in messages about ranks that fall behind). */
    void step(long s) {
        step = s;
    }

    /**
     * Publishes this rank's own failure so that the others stop at once, naming it. The watch stops first: this rank
     * says its failure itself, and must not hear it back from the store as a second line.
     */
    void publishFailure(String message) {
        closed = true;
        try {
            store.set(FAILED, "rank " + rank + " failed: " + message);
        } catch (RuntimeException storeGone) {
            // the others will notice the missing heartbeat instead
        }
    }

    private void beat(long counter) {
        store.set(BEAT + rank, counter + " " + step);
    }

    private String read(String key) {
        return read(store, key);
    }

    /** {@code key}'s value in {@code store}, or null while nobody has set it (c10d's get would wait for it). */
    static String read(Store store, String key) {
        try (StringVector keys = new StringVector(key)) {
            return store.check(keys) ? store.get_to_str(key) : null;
        }
    }

    private void watch() {
        int neighbour = (rank + 1) % world;
        String last = null;
        long lastChange = System.nanoTime();
        long counter = 1;
        long firstStoreError = 0;   // when the store began failing (0: it answers)
        while (!closed) {
            try {
                Thread.sleep(intervalMillis);
            } catch (InterruptedException e) {
                return;
            }
            if (closed) {
                return;
            }
            try {
                beat(counter++);
                String failed = read(FAILED);
                if (failed != null) {
                    fire(failed);
                    return;
                }
                String seen = read(BEAT + neighbour);
                long now = System.nanoTime();
                if (DONE.equals(seen)) {
                    lastChange = now;   // it finished normally: nothing to watch
                } else if (seen != null && !seen.equals(last)) {
                    last = seen;
                    lastChange = now;
                } else if (now - lastChange > timeoutNanos) {
                    String msg = "rank " + neighbour + " stopped responding: no heartbeat for "
                            + seconds(now - lastChange) + " (timeout " + seconds(timeoutNanos) + ", last at step "
                            + stepOf(last) + ")";
                    publishFailure0(msg);
                    fire(msg);
                    return;
                }
                firstStoreError = 0;
            } catch (RuntimeException e) {
                if (closed) {
                    return;
                }
                // Wall time, not a count of failures: a call to a store whose host died may itself block for up to
                // the timeout before failing, and five such calls outlasted launch's stop grace (issue 28's flake).
                long now = System.nanoTime();
                firstStoreError = firstStoreError == 0 ? now : firstStoreError;
                if (now - firstStoreError >= Math.min(timeoutNanos, 5_000_000_000L)) {
                    fire("lost the rendezvous store (" + storeHost + "): the rank that hosts it has exited or is"
                            + " unreachable (" + firstLine(e.getMessage()) + ")");
                    return;
                }
            }
        }
    }

    private void publishFailure0(String message) {
        try {
            store.set(FAILED, message);
        } catch (RuntimeException ignored) {
            // we exit anyway
        }
    }

    private void fire(String message) {
        if (!closed) {
            closed = true;
            onFailure.accept(message);
        }
    }

    /**
     * After a collective failed: which ranks are gone. Returns the published failure if there is one, else watches
     * every rank's beat for up to 3 intervals and names those that did not move, else null.
     */
    String diagnose() {
        try {
            String failed = read(FAILED);
            if (failed != null) {
                return failed;
            }
            String[] before = new String[world];
            for (int r = 0; r < world; r++) {
                before[r] = r == rank ? null : read(BEAT + r);
            }
            StringBuilder gone = new StringBuilder();
            for (int round = 0; round < 3; round++) {
                Thread.sleep(intervalMillis + 50);
                failed = read(FAILED);
                if (failed != null) {
                    return failed;
                }
            }
            for (int r = 0; r < world; r++) {
                if (r != rank) {
                    String now = read(BEAT + r);
                    if (now == null || (now.equals(before[r]) && !DONE.equals(now))) {
                        gone.append(gone.length() == 0 ? "" : ", ").append(r).append(" (last at step ")
                                .append(stepOf(now)).append(')');
                    }
                }
            }
            return gone.length() == 0 ? null : "rank " + gone + " stopped responding";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (RuntimeException storeGone) {
            return "lost the rendezvous store (" + storeHost + "): the rank that hosts it has exited";
        }
    }

    private static String stepOf(String beat) {
        if (beat == null) {
            return "?";
        }
        int sp = beat.indexOf(' ');
        return sp < 0 ? "?" : beat.substring(sp + 1);
    }

    private static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.0f s", nanos / 1e9);
    }

    static String firstLine(String s) {
        if (s == null) {
            return "no message";
        }
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).trim();
    }

    /** Stops watching; the neighbour watching this rank is told it finished normally. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            thread.interrupt();
            try {
                thread.join(5000);   // its last beat must not overwrite the word below
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            try {
                store.set(BEAT + rank, DONE);
            } catch (RuntimeException storeGone) {
                // nobody is left to tell
            }
        }
    }
}
