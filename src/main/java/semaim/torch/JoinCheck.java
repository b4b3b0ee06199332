package semaim.torch;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

import org.bytedeco.pytorch.Store;

/**
 * The handshake every rank of a multi-process run makes through the rendezvous store before c10d's backend connects
 * the ranks. c10d's own rendezvous learns of a start-up mistake only by waiting out its timeout, and then reports it
 * as a native stack trace; here each mistake ends every process with one line that names it (issue 28):
 * <ul>
 *   <li>a rank claimed by two processes (RANK given twice, or nodes that disagree on --nnodes/--nproc-per-node):
 *       the second claimant is refused at once, the run goes on with the first;</li>
 *   <li>a peer that is another semaim build, runs another command, counts another world size or was given other
 *       shared settings ({@link Identity}): both it and rank 0 stop, naming the first differences;</li>
 *   <li>a rank that has not come within the timeout: rank 0 names it, and so does every rank that is waiting.</li>
 * </ul>
 * Keys, under {@code semaim/join/}: {@code claim/R} (a counter: 1 for the first claimant), {@code hello/R} (what the
 * rank is), {@code verdict} (rank 0: every rank is here and agrees) and {@code abort} (why the run cannot start,
 * prefixed by {@link Failure#CONFIG} or {@link Failure#PEER}). The store is polled every 50 ms, so whichever rank
 * finds a problem, the others learn it within that time.
 */
public final class JoinCheck {
    private static final String PREFIX = "semaim/join/";
    private static final String VERDICT = PREFIX + "verdict";
    private static final String ABORT = PREFIX + "abort";
    private static final long POLL_MILLIS = 50;

    /** How a start failed: a configuration that cannot work (exit 3), or a peer that did not come (exit 10). */
    enum Failure {
        CONFIG, PEER
    }

    /**
     * What every rank of one run must share: the build ("0.1.0 (commit ...)"), the command, and the settings that
     * must agree, by option name (an empty map for commands that compare none).
     */
    public record Identity(String build, String command, SortedMap<String, String> settings) {
        public Identity {
            settings = new TreeMap<>(settings);
        }
    }

    /** A rank's hello: its identity, the world size it was started for, and where it runs (for messages). */
    record Hello(Identity identity, int worldSize, String host, long pid) {
        static Hello of(Identity identity, int worldSize) {
            return new Hello(identity, worldSize, hostName(), ProcessHandle.current().pid());
        }

        /** One {@code key=value} per line (newlines in values escaped). */
        String encode() {
            StringBuilder b = new StringBuilder();
            line(b, "build", identity.build());
            line(b, "command", identity.command());
            line(b, "world", Integer.toString(worldSize));
            line(b, "host", host);
            line(b, "pid", Long.toString(pid));
            identity.settings().forEach((k, v) -> line(b, "set " + k, v));
            return b.toString();
        }

        static Hello decode(String text) {
            Map<String, String> fields = new TreeMap<>();
            SortedMap<String, String> settings = new TreeMap<>();
            for (String l : text.split("\n")) {
                int eq = l.indexOf('=');
                if (eq > 0) {
                    String k = l.substring(0, eq), v = l.substring(eq + 1).replace("\\n", "\n");
                    (k.startsWith("set ") ? settings : fields).put(k.startsWith("set ") ? k.substring(4) : k, v);
                }
            }
            return new Hello(new Identity(fields.getOrDefault("build", "?"), fields.getOrDefault("command", "?"),
                    settings), Integer.parseInt(fields.getOrDefault("world", "0")), fields.getOrDefault("host", "?"),
                    Long.parseLong(fields.getOrDefault("pid", "0")));
        }

        private static void line(StringBuilder b, String key, String value) {
            b.append(key).append('=').append(String.valueOf(value).replace("\n", "\\n")).append('\n');
        }

        /** "process 1234 on host" */
        String where() {
            return "process " + pid + " on " + host;
        }

        /** What differs from {@code other} (this rank's value first), or an empty list. */
        List<String> differencesFrom(Hello other) {
            List<String> d = new ArrayList<>();
            if (!identity.build().equals(other.identity.build())) {
                d.add("semaim " + identity.build() + " vs " + other.identity.build());
            }
            if (!identity.command().equals(other.identity.command())) {
                d.add("command " + identity.command() + " vs " + other.identity.command());
            }
            if (worldSize != other.worldSize) {
                d.add("WORLD_SIZE " + worldSize + " vs " + other.worldSize + " (--nnodes x --nproc-per-node)");
            }
            if (d.isEmpty()) {
                TreeMap<String, String> keys = new TreeMap<>(identity.settings());
                keys.putAll(other.identity.settings());
                for (String k : keys.keySet()) {
                    String mine = identity.settings().get(k), theirs = other.identity.settings().get(k);
                    if (mine == null || !mine.equals(theirs)) {
                        d.add(k + " " + mine + " vs " + theirs);
                    }
                }
            }
            return d;
        }
    }

    /** A configuration mistake as IllegalArgumentException (exit 3), a peer that did not come as PeerFailure (10). */
    private static RuntimeException failure(Failure f, String message) {
        return f == Failure.CONFIG ? new IllegalArgumentException(message)
                : new Distributed.PeerFailureException(message, null);
    }

    private final Store store;
    private final int rank;
    private final int world;
    private final Hello mine;
    private final long deadline;
    private final Duration timeout;

    private JoinCheck(Store store, int rank, int world, Identity identity, Duration timeout) {
        this.store = store;
        this.rank = rank;
        this.world = world;
        this.mine = Hello.of(identity, world);
        this.timeout = timeout;
        this.deadline = System.nanoTime() + timeout.toNanos();
    }

    /**
     * Runs the handshake for {@code rank} of {@code world}: returns when every rank is here and agrees with rank 0,
     * otherwise throws, within {@code timeout}, a one-line exception naming the ranks: IllegalArgumentException for
     * a configuration that cannot work, {@link Distributed.PeerFailureException} for a rank that did not come.
     */
    public static void run(Store store, int rank, int world, Identity identity, Duration timeout) {
        JoinCheck j = new JoinCheck(store, rank, world, identity, timeout);
        try {
            j.claim();
            j.store.set(PREFIX + "hello/" + rank, j.mine.encode());
            if (rank == 0) {
                j.awaitEveryRank();
            } else {
                j.awaitRankZero();
            }
        } catch (IllegalArgumentException | Distributed.PeerFailureException e) {
            throw e;
        } catch (RuntimeException storeGone) {
            throw failure(Failure.PEER, "rank " + rank + " lost the rendezvous store while joining the run ("
                    + PeerWatch.firstLine(storeGone.getMessage()) + "): the rank that hosts it has exited");
        }
    }

    /** Refuses a second process with this rank (the first keeps it: the run may well be going already). */
    private void claim() {
        long n = store.add(PREFIX + "claim/" + rank, 1);
        if (n > 1) {
            String holder = read(PREFIX + "hello/" + rank);
            throw failure(Failure.CONFIG, "rank " + rank + " is taken: another process already joined "
                    + "this run as rank " + rank + (holder == null ? "" : " (" + Hello.decode(holder).where() + ")")
                    + "; give each process its own RANK (nodes must agree on --nnodes and --nproc-per-node), or"
                    + " delete a SEMAIM_RENDEZVOUS file an earlier run left");
        }
    }

    /** Rank 0: reads each rank's hello as it comes; the verdict once all are here and agree. */
    private void awaitEveryRank() {
        boolean[] seen = new boolean[world];
        seen[0] = true;
        int missing = world - 1;
        while (missing > 0) {
            checkAbort();
            for (int r = 1; r < world; r++) {
                String text = seen[r] ? null : read(PREFIX + "hello/" + r);
                if (text != null) {
                    seen[r] = true;
                    missing--;
                    refuseIfDifferent(Hello.decode(text), r);
                }
            }
            if (missing > 0 && !pause()) {
                String msg = "rank " + ranks(seen, false) + " did not join within " + timeout.toSeconds() + " s ("
                        + "rank " + ranks(seen, true) + " did; start every node with the same --master-addr,"
                        + " --master-port and --nnodes, or raise --dist-timeout)";
                abort(Failure.PEER, msg);
                throw failure(Failure.PEER, msg);
            }
        }
        store.set(VERDICT, "ok");
    }

    /** Another rank: checks itself against rank 0, then waits for rank 0's verdict. */
    private void awaitRankZero() {
        boolean checked = false;
        while (true) {
            checkAbort();
            if (!checked) {
                String zero = read(PREFIX + "hello/0");
                if (zero != null) {
                    checked = true;
                    refuseIfDifferent(Hello.decode(zero), 0);
                }
            }
            if (checked && read(VERDICT) != null) {
                return;
            }
            if (!pause()) {
                boolean[] seen = new boolean[world];
                for (int r = 0; r < world; r++) {
                    seen[r] = read(PREFIX + "hello/" + r) != null;
                }
                String absent = ranks(seen, false);
                throw failure(Failure.PEER, "rank " + rank + " waited " + timeout.toSeconds() + " s: "
                        + (absent.isEmpty() ? "rank 0 did not confirm that every rank agrees"
                                : "rank " + absent + " did not join (start every node with the same --master-addr,"
                                        + " --master-port and --nnodes, or raise --dist-timeout)"));
            }
        }
    }

    /** A peer that differs from this rank ends the start for both (and, through the abort key, for the others). */
    private void refuseIfDifferent(Hello other, int otherRank) {
        List<String> d = mine.differencesFrom(other);
        if (d.isEmpty()) {
            return;
        }
        String msg = "rank " + rank + " and rank " + otherRank + " (" + other.where() + ") cannot form one run: "
                + String.join("; ", d.subList(0, Math.min(3, d.size()))) + (d.size() > 3 ? "; ..." : "")
                + " (rank " + rank + "'s value first)";
        abort(Failure.CONFIG, msg);
        throw failure(Failure.CONFIG, msg);
    }

    private void checkAbort() {
        String why = read(ABORT);
        if (why != null) {
            int sp = why.indexOf(' ');
            Failure f = Failure.valueOf(why.substring(0, sp));
            throw failure(f, "rank " + rank + " stops: " + why.substring(sp + 1));
        }
    }

    /**
     * Tells every rank why the run cannot start. Rank 0 hosts the TCP store and exits next: it waits a few polls so
     * that the others read the reason rather than a store that is gone.
     */
    private void abort(Failure f, String message) {
        try {
            store.set(ABORT, f + " " + message);
            if (rank == 0) {
                Thread.sleep(4 * POLL_MILLIS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException storeGone) {
            // the others time out instead
        }
    }

    /** Sleeps one poll interval; false once the deadline has passed. */
    private boolean pause() {
        if (System.nanoTime() > deadline) {
            return false;
        }
        try {
            Thread.sleep(POLL_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failure(Failure.PEER, "rank " + rank + " was interrupted while joining the run");
        }
        return true;
    }

    private String read(String key) {
        return PeerWatch.read(store, key);
    }

    /** "1, 3" of the ranks that have ({@code present}) or have not joined. */
    private static String ranks(boolean[] seen, boolean present) {
        List<String> r = new ArrayList<>();
        for (int i = 0; i < seen.length; i++) {
            if (seen[i] == present) {
                r.add(Integer.toString(i));
            }
        }
        return r.size() > 8 ? String.join(", ", r.subList(0, 8)) + " and " + (r.size() - 8) + " more"
                : String.join(", ", r);
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            String name = ManagementFactory.getRuntimeMXBean().getName();
            return name.substring(name.indexOf('@') + 1);
        }
    }
}
