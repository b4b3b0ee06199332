package semaim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.bytedeco.pytorch.FileStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import semaim.torch.JoinCheck;
import semaim.torch.Torch;

/**
 * Issue 28: every start-up failure of a multi-process run ends every local process within --dist-timeout plus a
 * margin, with one line naming the cause and the rank, exit code 10 (a peer that did not come) or 3 (a configuration
 * that cannot work), no stack trace and no claim of a checkpoint. The margin (10 s, JVM start included) is a liveness
 * bound: before the fix these runs ended after five minutes.
 */
class StartFailuresTest {
    private static final int TIMEOUT = 8;
    private static final double BOUND = TIMEOUT + 10;
    private static final List<String> TINY = List.of("pretrain", "--image-size", "16", "--patch-size", "4",
            "--width", "32", "--depth", "2", "--heads", "2", "--decoder-depth", "1", "--viz-every", "0",
            "--monitor-knn", "0", "--workers", "1", "--batch-size", "8", "--dist-timeout", Integer.toString(TIMEOUT));

    /** A finished process: exit code, merged output, seconds from start to end. */
    private record Ended(int code, String out, double seconds) {
        /** The error lines of one rank ("[rank R] ..." under launch, or all lines of a rank started alone). */
        List<String> errors(String prefix) {
            return out.lines().filter(l -> l.startsWith(prefix) && l.contains("error:")).toList();
        }
    }

    /** Waits for {@code p} (killing it, and failing, after two minutes) and collects its output. */
    private static Ended finish(Process p, long startNanos) throws Exception {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        Thread reader = new Thread(() -> {
            try (var in = p.getInputStream()) {
                in.transferTo(bytes);
            } catch (IOException ended) {
                // killed
            }
        });
        reader.start();
        boolean ended = p.waitFor(120, TimeUnit.SECONDS);
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        if (!ended) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        reader.join(10_000);
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(ended, "the process did not end within two minutes: " + out);
        return new Ended(p.exitValue(), out, seconds);
    }

    private static Ended launch(String... launchAndCommand) throws Exception {
        long t0 = System.nanoTime();
        return finish(Cli.start(List.of(), null, launchAndCommand), t0);
    }

    private static Process rank(int rank, int world, int port, Path out, String... more) throws IOException {
        Map<String, String> env = new HashMap<>(Map.of("RANK", Integer.toString(rank), "WORLD_SIZE",
                Integer.toString(world), "MASTER_PORT", Integer.toString(port), "OMP_NUM_THREADS", "1"));
        return Cli.start(List.of("-Dsemaim.threads=1"), null, env, command(out, more));
    }

    private static String[] command(Path out, String... more) {
        List<String> a = new ArrayList<>(TINY);
        a.addAll(List.of(more));
        a.addAll(List.of("--output", out.toString()));
        return a.toArray(new String[0]);
    }

    private static String[] launchArgs(List<String> launch, Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("launch"));
        a.addAll(launch);
        a.add("--");
        a.addAll(List.of(command(out, more)));
        return a.toArray(new String[0]);
    }

    /** One line, no trace, no checkpoint claimed, within the bound; {@code prefix} selects the failing process. */
    private static void assertOneLine(Ended e, int code, String prefix, String... fragments) {
        assertEquals(code, e.code(), e.out());
        List<String> errors = e.errors(prefix);
        assertEquals(1, errors.size(), e.out());
        for (String f : fragments) {
            assertTrue(errors.get(0).contains(f), "'" + f + "' in: " + e.out());
        }
        assertTrue(!e.out().contains("\tat ") && !e.out().contains("Exception") && !e.out().contains("frame #"),
                "no stack trace: " + e.out());
        assertTrue(!e.out().contains("saving a checkpoint"), "nothing to save: " + e.out());
        assertTrue(e.seconds() < BOUND, "ended after " + e.seconds() + " s, bound " + BOUND + " s: " + e.out());
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void aPeerThatNeverComesEndsTheLaunchAtTheTimeout(@TempDir Path dir) throws Exception {
        Ended e = launch(launchArgs(List.of("--nnodes", "2", "--node-rank", "0", "--nproc-per-node", "1",
                "--master-port", Integer.toString(freePort())), dir.resolve("run"), "--max-steps", "5"));
        assertOneLine(e, ExitCodes.PEER_FAILED, "[rank 0] ", "rank 1 did not join within " + TIMEOUT + " s");
        assertTrue(e.out().contains("semaim launch: rank 0 exited with code 10: rank 1 did not join"), e.out());
    }

    @Test
    void aTakenPortEndsEveryRankAtOnce(@TempDir Path dir) throws Exception {
        try (ServerSocket other = new ServerSocket()) {   // another program on the port: it accepts, never answers
            other.setReuseAddress(true);
            other.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            Ended e = launch(launchArgs(List.of("--nproc-per-node", "2", "--master-port",
                    Integer.toString(other.getLocalPort())), dir.resolve("run"), "--max-steps", "5"));
            assertOneLine(e, ExitCodes.INVALID_CONFIG, "[rank 0] ", "Address already in use",
                    "choose another --master-port");
            assertTrue(e.errors("[rank 1] ").isEmpty(), e.out());
        }
    }

    @Test
    void anUnresolvableMasterAddressIsAConfigurationError(@TempDir Path dir) throws Exception {
        Ended e = launch(launchArgs(List.of("--nproc-per-node", "2", "--master-addr", "no-such-host.invalid",
                "--master-port", Integer.toString(freePort())), dir.resolve("run"), "--max-steps", "5"));
        // Both ranks resolve it and fail at once; launch may stop the second before it prints its line.
        assertEquals(ExitCodes.INVALID_CONFIG, e.code(), e.out());
        for (String r : new String[] {"[rank 0] ", "[rank 1] "}) {
            assertTrue(e.errors(r).size() <= 1, e.out());
        }
        assertTrue(e.out().lines().anyMatch(l -> l.startsWith("semaim launch: rank ") && l.contains(
                "exited with code 3: MASTER_ADDR no-such-host.invalid does not resolve")), e.out());
        assertTrue(!e.out().contains("\tat ") && !e.out().contains("Exception") && !e.out().contains("frame #")
                && !e.out().contains("saving a checkpoint"), e.out());
        assertTrue(e.seconds() < BOUND, e.out());
    }

    /** What a program on a port does with each connection it accepts. */
    private interface Connection {
        void handle(Socket s) throws IOException;
    }

    /** Accepts connections on {@code socket} in the background until it is closed. */
    private static void serve(ServerSocket socket, Connection each) {
        Thread t = new Thread(() -> {
            try {
                while (true) {
                    each.handle(socket.accept());
                }
            } catch (IOException closed) {
                // the test is over
            }
        });
        t.setDaemon(true);
        t.start();
    }

    /** A rank whose MASTER_ADDR:MASTER_PORT is silent (accepts, never answers) or closed gives up at the timeout. */
    @Test
    void anUnreachableStoreEndsTheRankAtTheTimeout(@TempDir Path dir) throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            List<Socket> held = new ArrayList<>();
            serve(silent, held::add);   // accepts, never answers
            long t0 = System.nanoTime();
            Ended e = finish(rank(1, 2, silent.getLocalPort(), dir.resolve("a")), t0);
            assertOneLine(e, ExitCodes.PEER_FAILED, "semaim pretrain", "rank 1 could not join the run within",
                    "rendezvous store at 127.0.0.1:" + silent.getLocalPort(), "choose another --master-port");
        }
        long t0 = System.nanoTime();
        Ended closed = finish(rank(1, 2, freePort(), dir.resolve("b")), t0);
        assertOneLine(closed, ExitCodes.PEER_FAILED, "semaim pretrain", "rank 1");
    }

    /** Another program that answers on MASTER_PORT (a web server): the line says to choose another port. */
    @Test
    void anotherProgramAnsweringOnTheMasterPortIsNamed(@TempDir Path dir) throws Exception {
        try (ServerSocket web = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            serve(web, s -> {
                try (s) {   // as a web server: reads the request, answers, closes
                    if (s.getInputStream().read() >= 0) {
                        s.getOutputStream().write("HTTP/1.1 400 Bad Request\r\n\r\n".getBytes(
                                StandardCharsets.US_ASCII));
                    }
                }
            });
            long t0 = System.nanoTime();
            Ended e = finish(rank(1, 2, web.getLocalPort(), dir.resolve("a")), t0);
            // c10d's client retries until its timeout, then reports its last failure (the wrong reply: "another
            // program answers on that port"), unless its retries outlast the watchdog's grace under load: every line
            // names the way out.
            assertOneLine(e, ExitCodes.PEER_FAILED, "semaim pretrain", "rank 1", "rendezvous store at 127.0.0.1:"
                    + web.getLocalPort(), "choose another --master-port");
        }
    }

    /** The second process claiming a rank is refused at once; the run that has it goes on. */
    @Test
    void aSecondProcessClaimingARankIsRefused(@TempDir Path dir) throws Exception {
        int port = freePort();
        Path run = dir.resolve("run");
        Process r0 = rank(0, 2, port, run, "--max-steps", "100000", "--log-every", "1");
        Process r1 = rank(1, 2, port, run, "--max-steps", "100000", "--log-every", "1");
        try {
            try (var reader = r0.inputReader(StandardCharsets.UTF_8)) {
                StringBuilder log = new StringBuilder();
                String line;
                while ((line = reader.readLine()) != null && !line.contains("step 1/")) {
                    log.append(line).append('\n');   // until the run trains
                }
                assertTrue(line != null, "the run trains: " + log);
                drain(r0);
                drain(r1);
                long t0 = System.nanoTime();
                Ended second = finish(rank(1, 2, port, dir.resolve("second"), "--max-steps", "100000", "--log-every",
                        "1"), t0);
                assertOneLine(second, ExitCodes.INVALID_CONFIG, "semaim pretrain", "rank 1 is taken",
                        "process " + r1.pid());
                assertTrue(r0.isAlive() && r1.isAlive(), "the run that holds rank 1 goes on");
            }
        } finally {
            r0.destroyForcibly();
            r1.destroyForcibly();
        }
    }

    /** Reads a process's output away in the background, so that a full pipe never blocks it. */
    private static void drain(Process p) {
        Thread t = new Thread(() -> {
            try (var in = p.getInputStream()) {
                in.transferTo(java.io.OutputStream.nullOutputStream());
            } catch (IOException ended) {
                // the process is gone
            }
        });
        t.setDaemon(true);
        t.start();
    }

    /** Node 0 counts 2 ranks, node 1 (--nproc-per-node 2) counts 4: every process of both stops with code 3. */
    @Test
    void nodesThatDisagreeOnTheWorldSizeStop(@TempDir Path dir) throws Exception {
        String port = Integer.toString(freePort());
        long t0 = System.nanoTime();
        Process a = Cli.start(List.of(), null, launchArgs(List.of("--nnodes", "2", "--node-rank", "0",
                "--nproc-per-node", "1", "--master-port", port), dir.resolve("a"), "--max-steps", "5"));
        Process b = Cli.start(List.of(), null, launchArgs(List.of("--nnodes", "2", "--node-rank", "1",
                "--nproc-per-node", "2", "--master-port", port), dir.resolve("b"), "--max-steps", "5"));
        Ended node1 = finish(b, t0), node0 = finish(a, t0);
        assertOneLine(node0, ExitCodes.INVALID_CONFIG, "[rank 0] ", "WORLD_SIZE");
        assertEquals(ExitCodes.INVALID_CONFIG, node1.code(), node1.out());
        for (String r : new String[] {"[rank 2] ", "[rank 3] "}) {
            assertTrue(node1.errors(r).size() <= 1, node1.out());
        }
        assertTrue(node1.out().contains("WORLD_SIZE 4 vs 2"), node1.out());
        assertTrue(node1.seconds() < BOUND && !node1.out().contains("\tat "), node1.out());
    }

    @Test
    void aRankThatDoesNotFitTheWorldIsRefused(@TempDir Path dir) throws Exception {
        long t0 = System.nanoTime();
        Ended e = finish(rank(2, 2, freePort(), dir.resolve("a")), t0);
        assertOneLine(e, ExitCodes.INVALID_CONFIG, "semaim pretrain", "RANK must be in [0, WORLD_SIZE)");
        t0 = System.nanoTime();
        Ended local = finish(Cli.start(List.of(), null, Map.of("RANK", "0", "WORLD_SIZE", "2", "LOCAL_RANK", "0",
                "LOCAL_WORLD_SIZE", "3"), command(dir.resolve("b"))), t0);
        assertOneLine(local, ExitCodes.INVALID_CONFIG, "semaim pretrain", "LOCAL_WORLD_SIZE must not exceed");
    }

    /** Ranks given other shared options name the first ones that differ, both of them (whichever checks first). */
    @Test
    void ranksOfAnotherRunConfigurationStop(@TempDir Path dir) throws Exception {
        int port = freePort();
        long t0 = System.nanoTime();
        Process r0 = rank(0, 2, port, dir.resolve("run"), "--max-steps", "5");
        Process r1 = rank(1, 2, port, dir.resolve("run"), "--max-steps", "5", "--blr", "1e-3");
        Ended e0 = finish(r0, t0), e1 = finish(r1, t0);
        assertOneLine(e0, ExitCodes.INVALID_CONFIG, "semaim pretrain", "cannot form one run", "--blr");
        assertOneLine(e1, ExitCodes.INVALID_CONFIG, "semaim pretrain", "cannot form one run", "--blr");
        // Whichever rank looks first names both values, its own first: "--blr 0.004 vs 0.001 (rank 0's value first)"
        assertTrue(e0.out().contains("--blr 0.004 vs 0.001 (rank 0's")
                || e0.out().contains("--blr 0.001 vs 0.004 (rank 1's"), e0.out());
    }

    /** A peer of another semaim build (this test, through the handshake) is refused by rank 0 and by itself. */
    @Test
    void aPeerOfAnotherBuildIsRefused(@TempDir Path dir) throws Exception {
        Torch.init();
        Path store = dir.resolve("store");
        long t0 = System.nanoTime();
        Process r0 = Cli.start(List.of("-Dsemaim.threads=1"), null, Map.of("RANK", "0", "WORLD_SIZE", "2",
                "SEMAIM_RENDEZVOUS", "file:" + store), command(dir.resolve("run"), "--max-steps", "5"));
        FileStore fs = new FileStore(store.toString(), 2);
        fs.setTimeout(new org.bytedeco.javacpp.chrono.Milliseconds(TIMEOUT * 1000L));
        var other = new JoinCheck.Identity("0.0.9 (commit 000000000000)", "pretrain", new java.util.TreeMap<>());
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> JoinCheck.run(fs, 1, 2, other, Duration.ofSeconds(60)));   // rank 0 may still be starting
        // Whichever rank compares first names both builds, its own first (rank 0's verdict or this rank's own check)
        String m = refused.getMessage();
        assertTrue(m.contains("semaim 0.0.9 (commit 000000000000) vs")
                || m.contains("vs 0.0.9 (commit 000000000000) (rank 0's"), m);
        Ended e0 = finish(r0, t0);
        assertOneLine(e0, ExitCodes.INVALID_CONFIG, "semaim pretrain", "cannot form one run", "0.0.9 (commit");
    }
}
