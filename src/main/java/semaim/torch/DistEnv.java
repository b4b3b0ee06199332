package semaim.torch;

import java.util.Map;

/**
 * Where this process stands in a multi-process run, read from torchrun's environment variables, so that semaim runs
 * under {@code semaim launch}, under {@code torchrun}-style launchers (Slurm scripts, Kubernetes operators) or by
 * hand with the same variables:
 * <pre>
 *   RANK              this process, 0..WORLD_SIZE-1 (rank 0 writes checkpoints, metrics and progress)
 *   WORLD_SIZE        processes in the run
 *   LOCAL_RANK        this process on its machine (picks the GPU: cuda:LOCAL_RANK)
 *   LOCAL_WORLD_SIZE  processes on this machine
 *   MASTER_ADDR       the address rank 0's rendezvous store listens on (default 127.0.0.1)
 *   MASTER_PORT       its port (default 29500, as torchrun)
 *   SEMAIM_RENDEZVOUS file:PATH to meet through a shared file (c10d's FileStore) instead of the TCP store
 * </pre>
 * No {@code WORLD_SIZE} (or 1) is a single process, the default.
 */
public record DistEnv(int rank, int worldSize, int localRank, int localWorldSize, String masterAddr, int masterPort,
        String rendezvousFile) {
    public static final int DEFAULT_PORT = 29500;

    public DistEnv {
        if (worldSize < 1 || rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("RANK must be in [0, WORLD_SIZE), got RANK=" + rank + " WORLD_SIZE="
                    + worldSize);
        }
        if (localRank < 0 || localWorldSize < 1 || localRank >= localWorldSize) {
            throw new IllegalArgumentException("LOCAL_RANK must be in [0, LOCAL_WORLD_SIZE), got LOCAL_RANK="
                    + localRank + " LOCAL_WORLD_SIZE=" + localWorldSize);
        }
        if (localWorldSize > worldSize) {
            throw new IllegalArgumentException("LOCAL_WORLD_SIZE must not exceed WORLD_SIZE, got LOCAL_WORLD_SIZE="
                    + localWorldSize + " WORLD_SIZE=" + worldSize);
        }
        if (masterPort < 1 || masterPort > 65535) {
            throw new IllegalArgumentException("MASTER_PORT must be in 1..65535, got " + masterPort);
        }
    }

    /** One process: rank 0 of 1. */
    public static DistEnv single() {
        return new DistEnv(0, 1, 0, 1, "127.0.0.1", DEFAULT_PORT, null);
    }

    /** This process's environment ({@link System#getenv()}). */
    public static DistEnv fromEnvironment() {
        return read(System.getenv());
    }

    /** Reads the variables above from {@code env}; a malformed one fails with a message naming it. */
    public static DistEnv read(Map<String, String> env) {
        int world = integer(env, "WORLD_SIZE", 1);
        if (world == 1) {
            return single();
        }
        if (!env.containsKey("RANK")) {
            throw new IllegalArgumentException("WORLD_SIZE=" + world + " is set but RANK is not");
        }
        int rank = integer(env, "RANK", 0);
        int localWorld = integer(env, "LOCAL_WORLD_SIZE", world);
        int localRank = integer(env, "LOCAL_RANK", localWorld == world ? rank : 0);
        String addr = env.getOrDefault("MASTER_ADDR", "127.0.0.1").trim();
        int port = integer(env, "MASTER_PORT", DEFAULT_PORT);
        String rdzv = env.get("SEMAIM_RENDEZVOUS");
        String file = null;
        if (rdzv != null && !rdzv.isBlank()) {
            if (!rdzv.startsWith("file:") || rdzv.length() == 5) {
                throw new IllegalArgumentException("SEMAIM_RENDEZVOUS must be file:PATH, got '" + rdzv + "'");
            }
            file = rdzv.substring(5);
        }
        return new DistEnv(rank, world, localRank, localWorld, addr.isEmpty() ? "127.0.0.1" : addr, port, file);
    }

    private static int integer(Map<String, String> env, String name, int fallback) {
        String v = env.get(name);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be an integer, got '" + v + "'");
        }
    }

    /** More than one process. */
    public boolean multiProcess() {
        return worldSize > 1;
    }

    /** Rank 0: the process that writes. */
    public boolean isMain() {
        return rank == 0;
    }
}
