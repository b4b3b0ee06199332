package semaim.util;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One line naming this machine as far as speed goes: CPU model, family and model numbers, logical CPUs and the vector
 * instructions libtorch's kernels choose between. It exists because a time measured on one machine (a pre-training
 * budget's minutes) must not silently stand for the time of another: two "AMD EPYC" machines of this workplace
 * differ by 2.7x in the pre-training step (AVX-512 with bf16 against AVX2 in fp32).
 */
public final class Machine {
    /** The instruction sets that change which kernels run, in the order they are named. */
    private static final List<String> SPEED_FLAGS = List.of("avx2", "avx512f", "avx512_bf16", "amx_bf16");

    private Machine() {}

    /** For example {@code "AMD EPYC (family 25 model 1), 2 CPUs, avx2"}; without /proc/cpuinfo, the OS's arch. */
    public static String describe() {
        int cpus = Runtime.getRuntime().availableProcessors();
        try {
            return describe(Files.readString(Path.of("/proc/cpuinfo")), cpus);
        } catch (IOException | RuntimeException e) {
            return System.getProperty("os.arch", "unknown") + ", " + cpus + " CPUs";
        }
    }

    /** {@link #describe()} of a {@code /proc/cpuinfo} text (its first processor's fields). */
    static String describe(String cpuinfo, int cpus) {
        String name = field(cpuinfo, "model name"), family = field(cpuinfo, "cpu family"), model = field(cpuinfo, "model");
        List<String> flags = List.of(field(cpuinfo, "flags").split("\\s+"));
        List<String> present = new ArrayList<>();
        SPEED_FLAGS.stream().filter(flags::contains).forEach(present::add);
        return (name.isEmpty() ? System.getProperty("os.arch", "unknown") : name)
                + (family.isEmpty() ? "" : " (family " + family + " model " + model + ")") + ", " + cpus + " CPUs"
                + (present.isEmpty() ? "" : ", " + String.join(" ", present));
    }

    private static String field(String cpuinfo, String key) {
        for (String line : cpuinfo.split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals(key)) {
                return line.substring(colon + 1).trim();
            }
        }
        return "";
    }
}
