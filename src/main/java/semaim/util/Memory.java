package semaim.util;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** This process's resident memory, from {@code /proc/self/status} (Linux; -1 elsewhere). */
public final class Memory {
    private Memory() {}

    /** Peak resident set size in MiB (VmHWM). */
    public static double peakRssMb() {
        return statusKb("VmHWM:") / 1024.0;
    }

    /** Current resident set size in MiB (VmRSS). */
    public static double rssMb() {
        return statusKb("VmRSS:") / 1024.0;
    }

    private static long statusKb(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return -1024;
    }
}
