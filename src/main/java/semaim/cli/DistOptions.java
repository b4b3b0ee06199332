package semaim.cli;

import java.time.Duration;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import picocli.CommandLine.Option;
import semaim.torch.DataParallel;
import semaim.torch.DistEnv;
import semaim.torch.Distributed;
import semaim.torch.JoinCheck;
import semaim.torch.Torch;

/**
 * How a command joins a multi-process run. The processes are started by {@code semaim launch} or by any
 * torchrun-style launcher that sets RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR and MASTER_PORT
 * ({@link DistEnv}); without them the command runs in one process and these options do nothing.
 */
final class DistOptions {
    private static final Logger LOG = LoggerFactory.getLogger("semaim");

    @Option(names = "--dist-backend", paramLabel = "NAME", defaultValue = "auto",
            description = "Collectives of a multi-process run: auto (gloo for CPU, nccl for CUDA), gloo or nccl. Default: ${DEFAULT-VALUE}.")
    String backend;

    @Option(names = "--dist-timeout", paramLabel = "SECONDS", defaultValue = "300",
            description = "A multi-process run stops, naming the rank, when another rank has died or hung this long (also the collectives' timeout). Default: ${DEFAULT-VALUE}.")
    int timeoutSeconds;

    @Option(names = "--bucket-mb", paramLabel = "MIB", defaultValue = "" + DataParallel.DEFAULT_BUCKET_MB,
            description = "Gradient all-reduce bucket size in MiB (DDP's bucket_cap_mb); buckets are reduced during backward. Default: ${DEFAULT-VALUE}.")
    int bucketMb;

    /** The environment's rank and world size (a single process without launcher variables). */
    DistEnv env() {
        return DistEnv.fromEnvironment();
    }

    /**
     * Joins the run of {@code env} for a command on {@code device}: a single process gets
     * {@link Distributed#single()}. A rank that learns another one died or hung prints one line and exits with
     * {@link ExitCodes#PEER_FAILED} at once (it may be blocked inside a collective, so nothing else can run).
     */
    Distributed join(String command, DistEnv env, String device) {
        return join(command, env, device, new java.util.TreeMap<>());
    }

    /**
     * As {@link #join(String, DistEnv, String)}, for a command whose ranks must also agree on {@code settings}
     * (option -> value): a rank started with other values stops the start with one line naming them.
     */
    Distributed join(String command, DistEnv env, String device, java.util.SortedMap<String, String> settings) {
        if (timeoutSeconds <= 0) {
            throw new IllegalArgumentException("--dist-timeout must be positive, got " + timeoutSeconds);
        }
        if (bucketMb <= 0) {
            throw new IllegalArgumentException("--bucket-mb must be positive, got " + bucketMb);
        }
        if (!env.multiProcess()) {
            return Distributed.single();
        }
        var dev = Torch.device(device);
        Distributed.Backend b = Distributed.Backend.choose(backend, dev);
        Distributed d = Distributed.init(env, b, dev, Duration.ofSeconds(timeoutSeconds),
                new JoinCheck.Identity(build(), command, settings), message -> {
            System.err.println("semaim " + command + ": error: " + message);
            System.err.flush();
            Runtime.getRuntime().halt(ExitCodes.PEER_FAILED);
        }, LOG::warn);
        if (d.isMain()) {
            LOG.info("data-parallel: {} processes ({} per machine), {} backend, timeout {} s", d.worldSize(),
                    env.localWorldSize(), b, timeoutSeconds);
        }
        return d;
    }

    /** This build, as ranks compare it: the version and, from a git checkout, the commit. */
    private static String build() {
        String commit = semaim.io.Provenance.gitCommit();
        return semaim.io.Provenance.version() + (commit == null ? "" : " (commit " + commit.substring(0,
                Math.min(12, commit.length())) + ")");
    }

    /** {@code cuda} means this rank's GPU, {@code cuda:LOCAL_RANK}, in a multi-process run. */
    static String deviceFor(String device, DistEnv env) {
        return env.multiProcess() && device.trim().equalsIgnoreCase("cuda") ? "cuda:" + env.localRank() : device;
    }
}
