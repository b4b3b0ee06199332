package semaim.torch;

import java.io.IOException;
import java.lang.reflect.Method;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

import org.bytedeco.javacpp.chrono.Milliseconds;
import org.bytedeco.pytorch.BackendOptional;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.FileStore;
import org.bytedeco.pytorch.IntOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.ProcessGroup;
import org.bytedeco.pytorch.ProcessGroupGloo;
import org.bytedeco.pytorch.Store;
import org.bytedeco.pytorch.TCPStore;
import org.bytedeco.pytorch.TCPStoreOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.nccl.ProcessGroupNCCL;
import org.bytedeco.pytorch.global.torch;

/**
 * The process group of a multi-process run, on PyTorch's own distributed engine (c10d): a rendezvous store (the
 * TCP store on rank 0, or a shared file), then Gloo for CPU tensors or NCCL for CUDA tensors, wrapped in a
 * {@code c10d::ProcessGroup} as {@code torch.distributed.init_process_group} builds it. Every collective here is
 * c10d's; nothing is reduced by hand. A single process gets {@link #single()}, whose collectives do nothing.
 *
 * <p>Binding: the TCP store listens on {@code MASTER_ADDR} only (c10d's own server binds every interface, so the
 * socket is opened here and handed over as {@code masterListenFd}); Gloo binds the local address that routes to
 * {@code MASTER_ADDR}, or the interface named by {@code GLOO_SOCKET_IFNAME} as in PyTorch.
 *
 * <p>Failures: a {@link PeerWatch} ends this process with a message naming the rank when another rank dies or
 * hangs past the timeout; collectives that fail earlier (a killed peer's closed connection) are reported through
 * {@link #peerFailure}.
 */
public final class Distributed implements AutoCloseable {
    /** Which c10d backend carries the collectives. */
    public enum Backend {
        GLOO, NCCL;

        /** {@code gloo}, {@code nccl}, or {@code auto}/null: NCCL for CUDA devices, else Gloo. */
        public static Backend choose(String name, Device device) {
            if (name == null || name.isBlank() || name.equalsIgnoreCase("auto")) {
                return device.is_cuda() ? NCCL : GLOO;
            }
            try {
                return valueOf(name.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--dist-backend must be auto, gloo or nccl, got '" + name + "'");
            }
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private static final Distributed SINGLE = new Distributed();

    /** Why a rank other than 0 finds no store, whichever way c10d's client gives up: what to check. */
    private static final String NO_STORE_HINT = "is rank 0 running, and MASTER_ADDR/MASTER_PORT the same on every node?"
            + " if another program holds that port, choose another --master-port";

    private final DistEnv env;
    private final Backend backend;
    private final Device commDevice;       // where collective buffers live: CPU for Gloo, the GPU for NCCL
    private final Store store;
    private final ProcessGroup group;
    private final org.bytedeco.pytorch.Backend backendImpl;
    private final ServerSocketChannel storeSocket;   // kept open: the TCP store serves on its descriptor
    private final PeerWatch watch;
    private final Duration timeout;

    private Distributed() {
        env = DistEnv.single();
        backend = Backend.GLOO;
        commDevice = null;
        store = null;
        group = null;
        backendImpl = null;
        storeSocket = null;
        watch = null;
        timeout = Duration.ZERO;
    }

    private Distributed(DistEnv env, Backend backend, Device commDevice, Store store, ProcessGroup group,
            org.bytedeco.pytorch.Backend backendImpl, ServerSocketChannel storeSocket, Duration timeout,
            Consumer<String> onPeerFailure) {
        this.env = env;
        this.backend = backend;
        this.commDevice = commDevice;
        this.store = store;
        this.group = group;
        this.backendImpl = backendImpl;
        this.storeSocket = storeSocket;
        this.timeout = timeout;
        this.watch = new PeerWatch(store, env.rank(), env.worldSize(), timeout, storeDescription(env), onPeerFailure);
    }

    /** The single-process group: rank 0 of 1, collectives are no-ops. */
    public static Distributed single() {
        return SINGLE;
    }

    /**
     * Joins the run described by {@code env} (a single process returns {@link #single()}). Every rank first makes
     * the {@link JoinCheck} handshake on the rendezvous store, so that a start-up mistake (a rank that does not
     * come, a rank claimed twice, a peer of another build or configuration than {@code identity}) ends the start
     * within {@code timeout} with one line; then c10d's backend connects the ranks. Throws IllegalArgumentException
     * for a configuration that cannot work and {@link PeerFailureException} for a peer that did not come; should
     * native code block past the timeout regardless, {@code onPeerFailure} is called. {@code onPeerFailure}
     * receives a one-line message when another rank dies or hangs, and must end the process (this rank is then
     * likely blocked inside a collective).
     */
    public static Distributed init(DistEnv env, Backend backend, Device device, Duration timeout,
            JoinCheck.Identity identity, Consumer<String> onPeerFailure, Consumer<String> warn) {
        if (!env.multiProcess()) {
            return SINGLE;
        }
        Torch.init();
        if (backend == Backend.NCCL && !device.is_cuda()) {
            throw new IllegalArgumentException("--dist-backend nccl needs --device cuda (NCCL reduces GPU tensors);"
                    + " CPU training uses gloo");
        }
        if (backend == Backend.GLOO && device.is_cuda()) {
            warn.accept("gloo on CUDA tensors copies them through host memory; nccl is the backend for GPUs");
        }
        if (backend == Backend.NCCL && !torch.cuda_is_available()) {
            throw new IllegalArgumentException("--dist-backend nccl needs the CUDA build (mvn -Pcuda) and a GPU");
        }
        try (JoinWatchdog watchdog = new JoinWatchdog(env.rank(), timeout, onPeerFailure)) {
            // The watchdog names this phase when c10d's client blocks on a port that accepts and never answers, or
            // when its own retries outlast the timeout: either rank 0 is not there, or another program holds the port.
            watchdog.phase("reaching the rendezvous store at " + storeDescription(env)
                    + (env.rendezvousFile() != null ? "" : " (" + NO_STORE_HINT + ")"));
            ServerSocketChannel socket = env.rendezvousFile() == null && env.isMain() ? listenOn(env, warn) : null;
            try {
                Store store = openStore(env, socket, timeout);
                watchdog.phase("meeting the other ranks through the rendezvous store at " + storeDescription(env));
                JoinCheck.run(store, env.rank(), env.worldSize(), identity, timeout);
                watchdog.phase("connecting the ranks' " + backend + " backend");
                watchdog.restart();   // every rank is known to be here: the backend gets its own timeout
                return connect(env, backend, device, store, socket, timeout, onPeerFailure);
            } catch (RuntimeException e) {
                closeQuietly(socket);   // the port is free for a retry in this process (a Java API caller's)
                throw e;
            }
        }
    }

    /** Rank 0's TCP store (serving on {@code socket} when given), another rank's client of it, or the file store. */
    private static Store openStore(DistEnv env, ServerSocketChannel socket, Duration timeout) {
        Milliseconds ms = new Milliseconds(timeout.toMillis());
        if (env.rendezvousFile() != null) {
            Store store = new FileStore(env.rendezvousFile(), env.worldSize());
            store.setTimeout(ms);
            return store;
        }
        resolve(env);
        TCPStoreOptions so = new TCPStoreOptions();
        so.port((short) env.masterPort());
        so.isServer(env.isMain());
        so.timeout(ms);
        if (socket != null) {
            so.masterListenFd(new IntOptional(descriptorOrMinusOne(socket)));
        }
        try {
            return new TCPStore(env.masterAddr(), so);
        } catch (RuntimeException e) {
            String why = PeerWatch.firstLine(e.getMessage());
            // c10d's client checks the server's reply to its first message: another reply means another program
            // (a web server, a proxy) answers on that port, not rank 0.
            String hint = why != null && why.contains("Ping failed") ? "another program answers on that port, not"
                    + " semaim's rank 0: choose another --master-port, the same on every node"
                    : NO_STORE_HINT;
            throw new PeerFailureException("rank " + env.rank() + " cannot reach the rendezvous store at "
                    + storeDescription(env) + " within " + timeout.toSeconds() + " s: " + why + " (" + hint + ")",
                    e);
        }
    }

    /** c10d's process group over {@code store}: NCCL for GPU tensors, else Gloo (also for CUDA tensors, via host). */
    private static Distributed connect(DistEnv env, Backend backend, Device device, Store store,
            ServerSocketChannel socket, Duration timeout, Consumer<String> onPeerFailure) {
        Milliseconds ms = new Milliseconds(timeout.toMillis());
        ProcessGroup group = new ProcessGroup(env.rank(), env.worldSize());
        org.bytedeco.pytorch.Backend impl;
        Device commDevice;
        if (backend == Backend.NCCL) {
            ProcessGroupNCCL.Options no = ProcessGroupNCCL.Options.create();
            no.timeout(ms);
            impl = new ProcessGroupNCCL(store, env.rank(), env.worldSize(), no);
            group.setBackend(torch.DeviceType.CUDA, ProcessGroup.BackendType.NCCL, new BackendOptional(impl));
            group.setDefaultBackend(ProcessGroup.BackendType.NCCL);
            commDevice = device;
        } else {
            ProcessGroupGloo.Options go = ProcessGroupGloo.Options.create();
            go.devices().push_back(glooDevice(env));
            go.timeout(ms);
            try {
                impl = new ProcessGroupGloo(store, env.rank(), env.worldSize(), go);
            } catch (RuntimeException e) {
                throw new PeerFailureException("rank " + env.rank() + " could not connect to the other ranks within "
                        + timeout.toSeconds() + " s: " + PeerWatch.firstLine(e.getMessage()), e);
            }
            group.setBackend(torch.DeviceType.CPU, ProcessGroup.BackendType.GLOO, new BackendOptional(impl));
            if (device.is_cuda()) {
                group.setBackend(torch.DeviceType.CUDA, ProcessGroup.BackendType.GLOO, new BackendOptional(impl));
            }
            group.setDefaultBackend(ProcessGroup.BackendType.GLOO);
            commDevice = new Device(torch.DeviceType.CPU, (byte) -1);
        }
        group.setTimeout(ms);
        return new Distributed(env, backend, commDevice, store, group, impl, socket, timeout, onPeerFailure);
    }

    /** Opens the store's listening socket on MASTER_ADDR only; null (with a warning) where that is not possible. */
    private static ServerSocketChannel listenOn(DistEnv env, Consumer<String> warn) {
        InetAddress addr = resolve(env);
        ServerSocketChannel ch = null;
        try {
            ch = ServerSocketChannel.open();
            ch.setOption(java.net.StandardSocketOptions.SO_REUSEADDR, true);
            ch.bind(new InetSocketAddress(addr, env.masterPort()), 128);
            descriptor(ch);
            return ch;
        } catch (IOException e) {
            closeQuietly(ch);
            boolean notHere = e.getMessage() != null && e.getMessage().contains("assign");
            throw new IllegalArgumentException("cannot listen on MASTER_ADDR:MASTER_PORT " + storeDescription(env)
                    + ": " + e.getMessage() + (notHere ? " (MASTER_ADDR must be an address of rank 0's machine)"
                            : " (another run on that port? choose another --master-port)"), e);
        } catch (ReflectiveOperationException | RuntimeException e) {
            closeQuietly(ch);
            warn.accept("the rendezvous store listens on every interface (binding it to " + env.masterAddr()
                    + " needs --add-opens java.base/sun.nio.ch=ALL-UNNAMED, which bin/semaim passes)");
            return null;
        }
    }

    private static int descriptorOrMinusOne(ServerSocketChannel ch) {
        try {
            return descriptor(ch);
        } catch (ReflectiveOperationException e) {
            return -1;   // not reached: listenOn already read it
        }
    }

    private static int descriptor(ServerSocketChannel ch) throws ReflectiveOperationException {
        Method m = ch.getClass().getMethod("getFDVal");
        m.setAccessible(true);
        return (int) m.invoke(ch);
    }

    private static void closeQuietly(ServerSocketChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // nothing was served on it
            }
        }
    }

    /** Gloo's device: GLOO_SOCKET_IFNAME's interface, else the local address that routes to MASTER_ADDR. */
    private static org.bytedeco.pytorch.gloo.Device glooDevice(DistEnv env) {
        String ifname = System.getenv("GLOO_SOCKET_IFNAME");
        if (ifname != null && !ifname.isBlank()) {
            return ProcessGroupGloo.createDeviceForInterface(ifname.split(",")[0].trim());
        }
        try {
            InetAddress master = resolve(env);
            if (master.isLoopbackAddress()) {
                return ProcessGroupGloo.createDeviceForHostname(master.getHostAddress());
            }
            try (DatagramSocket probe = new DatagramSocket()) {
                probe.connect(master, env.masterPort());   // no packet is sent: this only asks the routing table
                return ProcessGroupGloo.createDeviceForHostname(probe.getLocalAddress().getHostAddress());
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("no local address routes to MASTER_ADDR " + env.masterAddr() + ": "
                    + e.getMessage() + " (set GLOO_SOCKET_IFNAME to the interface to use)", e);
        }
    }

    /** MASTER_ADDR as an address: one that does not resolve is a configuration mistake, found before any wait. */
    private static InetAddress resolve(DistEnv env) {
        try {
            return InetAddress.getByName(env.masterAddr());
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException("MASTER_ADDR " + env.masterAddr() + " does not resolve (--master-addr"
                    + " must be a host name or address of rank 0's machine)", e);
        }
    }

    private static String storeDescription(DistEnv env) {
        return env.rendezvousFile() != null ? "file " + env.rendezvousFile()
                : env.masterAddr() + ":" + env.masterPort() + " on rank 0";
    }

    public int rank() {
        return env.rank();
    }

    public int worldSize() {
        return env.worldSize();
    }

    public DistEnv env() {
        return env;
    }

    /** More than one process. */
    public boolean enabled() {
        return group != null;
    }

    /** Rank 0, the process that writes checkpoints, metrics and progress. */
    public boolean isMain() {
        return env.isMain();
    }

    public Backend backend() {
        return backend;
    }

    public Duration timeout() {
        return timeout;
    }

    /** The c10d process group (null for a single process), for {@link DataParallel}. */
    ProcessGroup group() {
        return group;
    }

    /** Tells the peer watch how far training got (for messages about ranks that fall behind). */
    public void progress(long step) {
        if (watch != null) {
            watch.step(step);
        }
    }

    /** Copies rank 0's values of {@code tensors} into every rank's (DDP's initial parameter broadcast). */
    public void broadcastFromMain(List<Tensor> tensors) {
        if (!enabled()) {
            return;
        }
        try (Scope s = Scope.open(); NoGradGuard g = new NoGradGuard()) {
            torch.broadcast_coalesced(group, new TensorVector(tensors.toArray(new Tensor[0])), 250L << 20);
        } catch (RuntimeException e) {
            throw peerFailure("broadcasting the initial weights", e);
        }
    }

    /** Element-wise sums of {@code values} over all ranks (float64, exact for counts). */
    public double[] sum(double[] values) {
        if (!enabled()) {
            return values.clone();
        }
        try (Scope s = Scope.open()) {
            Tensor t = Tensors.doubles(values).to(commDevice, torch.ScalarType.Double);
            group.allreduce(new TensorVector(t))._wait();
            return Tensors.toDoubles(t.cpu());
        } catch (RuntimeException e) {
            throw peerFailure("summing metrics", e);
        }
    }

    /**
     * Every rank's {@code mine} (the same length on all ranks), in rank order: row r of the result is rank r's. An
     * all-reduce of a zero matrix with each rank's row filled in: exact, and on every backend.
     */
    public long[][] allGather(long[] mine) {
        int w = worldSize();
        long[][] all = new long[w][];
        if (!enabled()) {
            all[0] = mine.clone();
            return all;
        }
        int n = mine.length;
        long[] flat = new long[w * n];
        System.arraycopy(mine, 0, flat, rank() * n, n);
        try (Scope s = Scope.open()) {
            Tensor t = Tensors.int64s(flat, w, n).to(commDevice, torch.ScalarType.Long);
            group.allreduce(new TensorVector(t))._wait();
            long[] back = Tensors.toLongs(t.cpu().contiguous());
            for (int r = 0; r < w; r++) {
                all[r] = java.util.Arrays.copyOfRange(back, r * n, (r + 1) * n);
            }
            return all;
        } catch (RuntimeException e) {
            throw peerFailure("gathering state", e);
        }
    }

    /**
     * Rows of every rank stacked in rank order: {@code rows} is (n_r, d) on this rank, the result (sum n_r, d) on
     * every rank, in {@code rows}' dtype. Ranks may hold different numbers of rows.
     */
    public Tensor allGatherRows(Tensor rows) {
        if (!enabled()) {
            return rows;
        }
        long[] counts = new long[worldSize()];
        long[][] all = allGather(new long[] {rows.size(0)});
        long max = 0, total = 0;
        for (int r = 0; r < counts.length; r++) {
            counts[r] = all[r][0];
            max = Math.max(max, counts[r]);
            total += counts[r];
        }
        long d = rows.size(1);
        try {
            Tensor buf = torch.zeros(worldSize(), max, d).to(commDevice, rows.scalar_type());
            buf.select(0, rank()).narrow(0, 0, rows.size(0)).copy_(rows.to(commDevice, rows.scalar_type()));
            group.allreduce(new TensorVector(buf))._wait();
            Tensor[] parts = new Tensor[worldSize()];
            for (int r = 0; r < parts.length; r++) {
                parts[r] = buf.select(0, r).narrow(0, 0, counts[r]);
            }
            Tensor out = torch.cat(new TensorVector(parts)).to(rows.device(), rows.scalar_type());
            if (out.size(0) != total) {
                throw new IllegalStateException("gathered " + out.size(0) + " rows, expected " + total);
            }
            return out;
        } catch (RuntimeException e) {
            throw peerFailure("gathering features", e);
        }
    }

    /**
     * The median time in milliseconds of an all-reduce of {@code floats} fp32 values (what data-parallel training
     * moves per step, without the overlap with backward), over {@code reps} repetitions after one warm-up.
     */
    public double timeAllReduce(long floats, int reps) {
        if (!enabled()) {
            return 0;
        }
        try (Scope s = Scope.open()) {
            Tensor t = torch.zeros(floats).to(commDevice, torch.ScalarType.Float);
            group.allreduce(new TensorVector(t))._wait();
            double[] ms = new double[reps];
            for (int i = 0; i < reps; i++) {
                barrier();
                long t0 = System.nanoTime();
                group.allreduce(new TensorVector(t))._wait();
                ms[i] = (System.nanoTime() - t0) / 1e6;
            }
            java.util.Arrays.sort(ms);
            return ms[reps / 2];
        } catch (RuntimeException e) {
            throw peerFailure("timing the all-reduce", e);
        }
    }

    /** Waits until every rank gets here. */
    public void barrier() {
        if (!enabled()) {
            return;
        }
        try {
            group.barrier()._wait();
        } catch (RuntimeException e) {
            throw peerFailure("waiting for the other ranks", e);
        }
    }

    /** Publishes this rank's failure so the others stop at once with a message naming it. */
    public void publishFailure(String message) {
        if (watch != null) {
            watch.publishFailure(message);
        }
    }

    /**
     * A failed collective as a one-line {@link PeerFailureException} naming the rank that is gone when it can be
     * found within a few seconds (a killed peer stops beating at once).
     */
    public PeerFailureException peerFailure(String during, RuntimeException cause) {
        if (cause instanceof PeerFailureException p) {
            return p;
        }
        String who = watch == null ? null : watch.diagnose();
        String msg = (who != null ? who : "a peer rank failed") + " (rank " + rank() + ", while " + during + ": "
                + PeerWatch.firstLine(cause.getMessage()) + ")";
        return new PeerFailureException(msg, cause);
    }

    /** Leaves the group: tells the others this rank finished normally, then shuts the backend down. */
    @Override
    public void close() {
        if (!enabled()) {
            return;
        }
        watch.close();
        try {
            backendImpl.shutdown();
        } catch (RuntimeException ignored) {
            // a peer already left; nothing to flush
        }
        closeQuietly(storeSocket);
    }

    /** A rank died, hung past the timeout, or a collective failed because of one. */
    public static final class PeerFailureException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public PeerFailureException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
