package semaim.torch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import org.bytedeco.pytorch.Device;

/**
 * The arithmetic of the forward passes. {@code FP32} everywhere, or {@code BF16} autocast: matrix products and
 * convolutions in bfloat16 while the weights, the residual stream, the optimiser state and the loss stay in fp32
 * (the reference trains with fp16 autocast on GPU and has none on CPU). {@code AUTO} is resolved once, by
 * {@link #resolve}: bfloat16 where the hardware runs it natively, fp32 elsewhere.
 */
public enum Precision {
    FP32, BF16, AUTO;

    /** Parses {@code fp32}, {@code bf16} or {@code auto} (any case). */
    public static Precision parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown precision '" + s + "'; known: fp32, bf16, auto");
        }
    }

    /** {@code AUTO} made concrete for {@code device}: BF16 on CPUs with native bf16 instructions, else FP32. */
    public Precision resolve(Device device) {
        if (this != AUTO) {
            return this;
        }
        return device.is_cpu() && cpuHasNativeBf16() ? BF16 : FP32;
    }

    /** Whether this CPU has AVX-512 BF16 or AMX-BF16 instructions (read from /proc/cpuinfo; false elsewhere). */
    public static boolean cpuHasNativeBf16() {
        try {
            String info = Files.readString(Path.of("/proc/cpuinfo"));
            return info.contains(" avx512_bf16") || info.contains(" amx_bf16");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Opens an autocast region for this precision on {@code device} (nothing happens for FP32). */
    public Autocast autocast(Device device) {
        return Autocast.enter(device, this == BF16);
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
