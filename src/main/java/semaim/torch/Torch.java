package semaim.torch;

import java.nio.file.Path;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Loads libtorch once per JVM, safely, and applies the thread settings that suit a small CPU.
 *
 * <p>Two measured pitfalls are handled here:
 * <ul>
 *   <li>On a cold native cache JavaCPP loads {@code libtorch.so} before it has extracted
 *       {@code libtorch_cpu.so}; the dynamic linker then picks up a system libtorch (Debian's 1.13) and the JVM
 *       dies in {@code pthread_mutex_lock}. Extracting all natives first ({@link Loader#cacheResources}) fixes it.</li>
 *   <li>The default OpenMP and OpenBLAS pools fight over two cores (1.84x slower). We keep libtorch's intra-op
 *       pool and give it one inter-op thread; {@code OMP_WAIT_POLICY=passive} is set by the launcher and by
 *       Surefire because libgomp reads it only at load time.</li>
 * </ul>
 * The native cache defaults to {@code .javacpp-cache} in the working directory instead of the user's home, so a
 * project checkout is self-contained; set {@code -Dorg.bytedeco.javacpp.cachedir} to choose another folder.
 */
public final class Torch {
    private static volatile boolean loaded;

    private Torch() {}

    /** Loads the natives (idempotent, thread-safe) and sets libtorch's thread pools. */
    public static synchronized void init() {
        if (loaded) {
            return;
        }
        if (System.getProperty("org.bytedeco.javacpp.cachedir") == null) {
            System.setProperty("org.bytedeco.javacpp.cachedir",
                    Path.of(".javacpp-cache").toAbsolutePath().toString());
        }
        if (cudaBuild()) {
            requireCudaLibraries();
        }
        try {
            Loader.cacheResources(nativesFolder());
        } catch (java.io.IOException e) {
            throw new IllegalStateException("Cannot extract libtorch natives into the JavaCPP cache "
                    + System.getProperty("org.bytedeco.javacpp.cachedir") + ": " + e.getMessage(), e);
        }
        Loader.load(torch.class);
        quietNativeWarnings();
        int threads = Integer.getInteger("semaim.threads", Runtime.getRuntime().availableProcessors());
        torch.set_num_threads(Math.max(1, threads));
        BlasThreads.setThreads(threads);
        try {
            torch.set_num_interop_threads(1);
        } catch (RuntimeException alreadyStarted) {
            // The inter-op pool can be sized only once per process; a second caller keeps the first setting.
        }
        loaded = true;
    }

    /**
     * Raises libtorch's own log level to fatal errors only, unless {@code SEMAIM_DEBUG} or {@code TORCH_CPP_LOG_LEVEL}
     * is set: c10d logs a warning with a native stack trace (frames #0-5) for every failed socket call when a peer
     * dies, and an error for a store it cannot reach in time, before semaim's one-line message says the same in words
     * (every such error also fails the call that semaim reports). The Python bindings read
     * {@code TORCH_CPP_LOG_LEVEL} at import; libtorch alone never does, so the flag is set here.
     */
    private static void quietNativeWarnings() {
        String level = System.getenv("SEMAIM_DEBUG") != null ? null : System.getenv("TORCH_CPP_LOG_LEVEL") != null
                ? null : "3";   // 0 INFO, 1 WARNING (libtorch's default), 2 ERROR, 3 FATAL
        if (level == null) {
            torch.initLogging();   // applies TORCH_CPP_LOG_LEVEL when given
            return;
        }
        try (org.bytedeco.javacpp.PointerPointer<org.bytedeco.javacpp.BytePointer> argv =
                new org.bytedeco.javacpp.PointerPointer<>("semaim", "--caffe2_log_level=" + level)) {
            torch.ParseCommandLineFlags(new int[] {2}, argv);
        }
        torch.UpdateLoggingLevelsFromFlags();
    }

    /**
     * The class-path folder of libtorch's natives: {@code linux-x86_64-gpu} when the CUDA build is on the class path
     * ({@code mvn -Pcuda}), else the CPU build's {@code linux-x86_64}.
     */
    static String nativesFolder() {
        String base = "/org/bytedeco/pytorch/" + Loader.getPlatform();
        return Torch.class.getResource(base + "-gpu/" + System.mapLibraryName("jnitorch")) != null ? base + "-gpu/"
                : base + "/";
    }

    /**
     * The CUDA libraries that the presets' {@code libtorch_cuda.so} (2.10.0-1.5.13) needs and does not bundle (its
     * {@code DT_NEEDED} entries, read with readelf). Maven Central has no redistributable CUDA for this release.
     */
    static final java.util.List<String> CUDA_LIBRARIES = java.util.List.of("libcudart.so.13", "libcublas.so.13",
            "libcublasLt.so.13", "libcudnn.so.9", "libcufft.so.12", "libcurand.so.10", "libcusparse.so.12",
            "libcufile.so.0", "libnccl.so.2");

    /**
     * Fails with the list of missing CUDA libraries before libtorch is loaded: when one is missing the loader falls
     * back to any other libtorch on the system (Debian's python3-torch, say) and the JVM crashes instead.
     */
    private static void requireCudaLibraries() {
        java.util.List<Path> dirs = new java.util.ArrayList<>();
        String ld = System.getenv("LD_LIBRARY_PATH");
        if (ld != null) {
            for (String d : ld.split(":")) {
                if (!d.isBlank()) {
                    dirs.add(Path.of(d));
                }
            }
        }
        for (String d : new String[] {"/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib",
            "/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/lib/x86_64-linux-gnu"}) {
            dirs.add(Path.of(d));
        }
        String cache = "";
        try {
            Process p = new ProcessBuilder("ldconfig", "-p").redirectErrorStream(true).start();
            cache = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException | RuntimeException noLdconfig) {
            // the folders above are searched anyway
        }
        java.util.List<String> missing = new java.util.ArrayList<>();
        for (String lib : CUDA_LIBRARIES) {
            boolean found = cache.contains(lib + " ") || dirs.stream().anyMatch(d -> java.nio.file.Files.exists(
                    d.resolve(lib)));
            if (!found) {
                missing.add(lib);
            }
        }
        if (!missing.isEmpty()) {
            throw new NativeLibraryException("this is semaim's CUDA build (mvn -Pcuda), whose libtorch needs CUDA 13.1,"
                    + " cuDNN 9.19 and NCCL 2 on the library path; missing: " + String.join(", ", missing)
                    + ". Install them (or set LD_LIBRARY_PATH), or rebuild for the CPU with mvn clean package");
        }
    }

    /** Whether this build carries CUDA (the GPU natives of {@code mvn -Pcuda}), whether or not a GPU is present. */
    public static boolean cudaBuild() {
        return nativesFolder().endsWith("-gpu/");
    }

    /** Sets libtorch's intra-op thread count (the number of cores one step uses). */
    public static void setThreads(int threads) {
        init();
        torch.set_num_threads(Math.max(1, threads));
        BlasThreads.setThreads(threads);
    }

    /** libtorch's intra-op thread count. */
    public static int threads() {
        init();
        return torch.get_num_threads();
    }

    /** Seeds libtorch's default generators (CPU and, when present, CUDA): {@code torch.manual_seed}. */
    public static void manualSeed(long seed) {
        init();
        torch.manual_seed(seed);
    }

    /** A copy of the default CPU generator's state (a uint8 tensor), for checkpoints. */
    public static Tensor cpuRngState() {
        init();
        return torch.getDefaultCPUGenerator().get_state();
    }

    /** Restores the default CPU generator from {@link #cpuRngState()}. */
    public static void setCpuRngState(Tensor state) {
        init();
        torch.getDefaultCPUGenerator().set_state(state);
    }

    /** Parses {@code cpu}, {@code cuda} or {@code cuda:N} into a libtorch device, failing clearly if unavailable. */
    public static Device device(String name) {
        init();
        String n = name.trim().toLowerCase(java.util.Locale.ROOT);
        if (n.equals("cpu")) {
            return new Device(torch.DeviceType.CPU, (byte) -1);
        }
        if (n.equals("cuda") || n.startsWith("cuda:")) {
            if (!torch.cuda_is_available()) {
                throw new IllegalArgumentException("--device " + name + ": " + (cudaBuild()
                        ? "no usable GPU (this CUDA build needs an NVIDIA driver and CUDA 13.1 + cuDNN 9.19 libraries)"
                        : "this is the CPU build (build the GPU one with mvn clean -Pcuda package)") + "; or use"
                        + " --device cpu");
            }
            byte index = n.equals("cuda") ? 0 : Byte.parseByte(n.substring(5));
            return new Device(torch.DeviceType.CUDA, index);
        }
        throw new IllegalArgumentException("unknown device '" + name + "': expected cpu, cuda or cuda:N");
    }
}
