package semaim.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import semaim.torch.DistEnv;

/**
 * {@code semaim launch}: torchrun for semaim. Starts this machine's processes of a data-parallel run with torchrun's
 * variables ({@link DistEnv}), splits the cores between them, prefixes their output with their rank, and stops all
 * of them when one fails, so no process is left behind.
 */
@Command(name = "launch", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run a command (pretrain, knn, linprobe, finetune, bench) in several processes, as torchrun does.",
            "Each process gets RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR and MASTER_PORT and an equal"
                    + " share of the cores; rank 0 writes the results. On several machines, run the same launch on"
                    + " each with its --node-rank."},
        footer = {"", "Examples:",
            "  semaim launch --nproc-per-node 2 -- pretrain --output runs/ddp",
            "  semaim launch --nnodes 2 --node-rank 0 --nproc-per-node 4 --master-addr 10.0.0.1 -- pretrain --output /shared/run",
            "", "If one process fails, the others are stopped (SIGTERM, then SIGKILL after --stop-grace seconds) and launch"
                    + " exits with the failed process's code."})
public final class LaunchCommand implements Callable<Integer> {
    @Option(names = "--nproc-per-node", paramLabel = "N", required = true,
            description = "Processes on this machine.")
    int nprocPerNode;

    @Option(names = "--nnodes", paramLabel = "M", defaultValue = "1", description = "Machines in the run. Default: ${DEFAULT-VALUE}.")
    int nnodes;

    @Option(names = "--node-rank", paramLabel = "R", defaultValue = "0", description = "This machine, 0..M-1 (0 hosts the rendezvous store). Default: ${DEFAULT-VALUE}.")
    int nodeRank;

    @Option(names = "--master-addr", paramLabel = "ADDR", defaultValue = "127.0.0.1",
            description = "Address of machine 0, where rank 0's rendezvous store listens (bound to this address only). Default: ${DEFAULT-VALUE}.")
    String masterAddr;

    @Option(names = "--master-port", paramLabel = "PORT", defaultValue = "29500", description = "Its port. Default: ${DEFAULT-VALUE}.")
    int masterPort;

    @Option(names = "--rendezvous", paramLabel = "file:PATH",
            description = "Meet through a file (c10d's FileStore; on a shared file system for several machines) instead of the TCP store.")
    String rendezvous;

    @Option(names = "--threads-per-process", paramLabel = "T",
            description = "Compute threads of each process (default: this machine's cores / --nproc-per-node, at least 1).")
    Integer threads;

    @Option(names = "--stop-grace", paramLabel = "SECONDS", defaultValue = "30",
            description = "When a process fails, how long the others get to exit after SIGTERM before SIGKILL. Default: ${DEFAULT-VALUE}.")
    int stopGrace;

    @Parameters(paramLabel = "COMMAND", arity = "1..*", description = "The semaim command and its options (after --).")
    List<String> command;

    /** Each rank's last error line, as its pump saw it. */
    private final Map<Integer, String> errorLines = new java.util.concurrent.ConcurrentHashMap<>();

    private static final List<String> COMMANDS = List.of("pretrain", "knn", "linprobe", "finetune", "bench");

    @Override
    public Integer call() {
        return CommandErrors.guard("launch", this::execute);
    }

    private int execute() throws IOException, InterruptedException {
        validate();
        int world = nnodes * nprocPerNode;
        int cores = Runtime.getRuntime().availableProcessors();
        int perProcess = threads != null ? threads : Math.max(1, cores / nprocPerNode);
        if (rendezvous != null && nodeRank == 0) {
            Files.deleteIfExists(Path.of(rendezvous.substring(5)));   // a stale store file would hold an old run's keys
        }
        System.err.printf("semaim launch: %d process(es) here (ranks %d..%d of %d), %d thread(s) each%n", nprocPerNode,
                nodeRank * nprocPerNode, (nodeRank + 1) * nprocPerNode - 1, world, perProcess);
        List<Process> procs = new ArrayList<>();
        List<Thread> pumps = new java.util.concurrent.CopyOnWriteArrayList<>();
        // Ctrl-C reaches every process of the terminal's group: each finishes its step, saves a checkpoint and exits;
        // this hook passes a SIGTERM sent to launch alone on to them, and waits as long as they may need.
        Thread forward = new Thread(() -> {
            stopAll(procs, "launch was stopped", Math.max(stopGrace, 300));
            joinAll(pumps);   // their last lines say where the checkpoint is
        }, "semaim-launch-stop");
        Runtime.getRuntime().addShutdownHook(forward);
        try {
            for (int local = 0; local < nprocPerNode; local++) {
                int rank = nodeRank * nprocPerNode + local;
                ProcessBuilder pb = new ProcessBuilder(JavaCommand.semaim(List.of("-Dsemaim.threads=" + perProcess),
                        command));
                Map<String, String> env = pb.environment();
                env.put("RANK", Integer.toString(rank));
                env.put("WORLD_SIZE", Integer.toString(world));
                env.put("LOCAL_RANK", Integer.toString(local));
                env.put("LOCAL_WORLD_SIZE", Integer.toString(nprocPerNode));
                env.put("GROUP_RANK", Integer.toString(nodeRank));
                env.put("MASTER_ADDR", masterAddr);
                env.put("MASTER_PORT", Integer.toString(masterPort));
                env.put("OMP_NUM_THREADS", Integer.toString(perProcess));
                if (rendezvous != null) {
                    env.put("SEMAIM_RENDEZVOUS", rendezvous);
                } else {
                    env.remove("SEMAIM_RENDEZVOUS");
                }
                Process p = pb.start();
                procs.add(p);
                pumps.add(pump(p.getInputStream(), System.out, rank));
                pumps.add(pump(p.getErrorStream(), System.err, rank));
            }
            int code = supervise(procs, pumps);
            joinAll(pumps);
            return code;
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(forward);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it stops the processes
            }
        }
    }

    private void validate() {
        if (nprocPerNode < 1 || nnodes < 1) {
            throw new IllegalArgumentException("--nproc-per-node and --nnodes must be at least 1");
        }
        if (nodeRank < 0 || nodeRank >= nnodes) {
            throw new IllegalArgumentException("--node-rank must be in [0, " + nnodes + "), got " + nodeRank);
        }
        if (masterPort < 1 || masterPort > 65535) {
            throw new IllegalArgumentException("--master-port must be in 1..65535, got " + masterPort);
        }
        if (rendezvous != null && (!rendezvous.startsWith("file:") || rendezvous.length() == 5)) {
            throw new IllegalArgumentException("--rendezvous must be file:PATH, got '" + rendezvous + "'");
        }
        if (threads != null && threads < 1) {
            throw new IllegalArgumentException("--threads-per-process must be positive, got " + threads);
        }
        if (stopGrace < 0) {
            throw new IllegalArgumentException("--stop-grace must not be negative, got " + stopGrace);
        }
        if (!COMMANDS.contains(command.get(0))) {
            throw new IllegalArgumentException("launch runs one of " + String.join(", ", COMMANDS) + "; got '"
                    + command.get(0) + "'");
        }
    }

    /**
     * Waits for the processes; when one fails, reports its exit code and error line and stops the others. Returns 0
     * if all succeeded, else the first failure's exit code.
     */
    private int supervise(List<Process> procs, List<Thread> pumps) throws InterruptedException {
        int firstFailure = 0;
        while (true) {
            boolean allDone = true;
            for (int i = 0; i < procs.size(); i++) {
                Process p = procs.get(i);
                if (p.isAlive()) {
                    allDone = false;
                } else if (p.exitValue() != 0 && firstFailure == 0) {
                    firstFailure = p.exitValue();
                    int rank = nodeRank * nprocPerNode + i;
                    joinAll(pumps.subList(2 * i, 2 * i + 2));   // its pipes are closed: its last line is read
                    String line = errorLines.get(rank);
                    boolean others = procs.stream().anyMatch(Process::isAlive);
                    System.err.printf("semaim launch: rank %d exited with code %d%s%s%s%n", rank, p.exitValue(),
                            describe(p.exitValue()), line == null ? "" : ": " + line,
                            others ? "; stopping the other ranks" : "");
                    if (others) {
                        Thread stopper = new Thread(() -> stopAll(procs, null, stopGrace), "semaim-launch-stop");
                        stopper.setDaemon(true);
                        stopper.start();
                    }
                }
            }
            if (allDone) {
                return firstFailure;
            }
            Thread.sleep(100);
        }
    }

    private static String describe(int code) {
        if (code == 137) {
            return " (killed: SIGKILL, often the out-of-memory killer)";
        }
        if (code > 128 && code < 160) {
            return " (signal " + (code - 128) + ")";
        }
        return "";
    }

    /** SIGTERM to every live process (each saves a checkpoint if it can), then SIGKILL after {@code grace} s. */
    private static void stopAll(List<Process> procs, String why, int grace) {
        List<Process> alive = procs.stream().filter(Process::isAlive).toList();
        if (alive.isEmpty()) {
            return;
        }
        if (why != null) {
            System.err.println("semaim launch: " + why + "; stopping " + alive.size() + " process(es)");
        }
        // ProcessHandle's destroy only signals; Process.destroy would also close the pipes, losing each process's
        // last lines (where it says which checkpoint it saved).
        alive.forEach(p -> p.toHandle().destroy());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(grace);
        for (Process p : alive) {
            try {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !p.waitFor(left, TimeUnit.NANOSECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.toHandle().destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.toHandle().destroyForcibly();
            }
        }
    }

    private static void joinAll(List<Thread> threads) {
        for (Thread t : threads) {
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * Copies a child's stream to ours, each line prefixed with its rank; remembers the rank's last error line
     * ("semaim CMD: error: ...") for launch's own report.
     */
    private Thread pump(InputStream in, PrintStream out, int rank) {
        Thread t = new Thread(() -> {
            byte[] prefix = ("[rank " + rank + "] ").getBytes(StandardCharsets.UTF_8);
            byte[] buf = new byte[8192];
            java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
            boolean lineStart = true;
            try (in) {
                for (int n; (n = in.read(buf)) > 0; ) {
                    synchronized (out) {
                        for (int i = 0; i < n; i++) {
                            if (lineStart) {
                                out.write(prefix, 0, prefix.length);
                                lineStart = false;
                            }
                            out.write(buf[i]);
                            if (buf[i] == '\n' || buf[i] == '\r') {
                                lineStart = true;
                                String text = line.toString(StandardCharsets.UTF_8);
                                if (text.startsWith("semaim ") && text.contains(": error: ")) {
                                    errorLines.put(rank, text.substring(text.indexOf(": error: ") + 9));
                                }
                                line.reset();
                            } else {
                                line.write(buf[i]);
                            }
                        }
                        out.flush();
                    }
                }
            } catch (IOException closed) {
                // the process ended
            }
        }, "semaim-launch-output-" + rank);
        t.setDaemon(true);
        t.start();
        return t;
    }
}
