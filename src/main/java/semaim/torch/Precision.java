package semaim.torch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The arithmetic of the forward passes. {@code FP32} everywhere, or autocast: matrix products and convolutions in
 * bfloat16 ({@code BF16}) or float16 ({@code FP16}) while the weights, the residual stream, the optimiser state and
 * the loss stay in fp32. The reference trains with fp16 autocast and a dynamic loss scale on GPU ({@link LossScaler},
 * which fp16 needs: its gradients underflow without it) and has none on CPU. {@code AUTO} is resolved once, by
 * {@link #resolve}: on a GPU fp16 as the reference; on a CPU bfloat16 where it runs natively, else fp32.
 */
public enum Precision {
    FP32, BF16, FP16, AUTO;

    /** Parses {@code fp32}, {@code bf16}, {@code fp16} or {@code auto} (any case). */
    public static Precision parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown precision '" + s + "'; known: fp32, bf16, fp16, auto");
        }
    }

    /** {@code AUTO} made concrete for {@code device}: FP16 on a GPU, BF16 on CPUs with native bf16, else FP32. */
    public Precision resolve(Device device) {
        if (this != AUTO) {
            return this;
        }
        if (device.is_cuda()) {
            return FP16;
        }
        return device.is_cpu() && cpuHasNativeBf16() ? BF16 : FP32;
    }

    /** Whether training in this precision needs a dynamic loss scale (fp16's narrow exponent range). */
    public boolean needsLossScaling() {
        return this == FP16;
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
        return Autocast.enter(device, this == BF16 ? ScalarType.BFloat16 : this == FP16 ? ScalarType.Half : null);
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
