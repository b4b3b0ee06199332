package semaim.torch;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.DeviceType;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * A region of libtorch autocast, as Python's {@code with torch.autocast(device, dtype)}: inside it, ops on the
 * autocast list (linear, matmul, conv) run in the region's dtype. The state is per thread; closing the region
 * restores the previous state and, when the outermost region closes, drops the cached low-precision copies of the
 * weights, which would otherwise outlive the optimiser step that changes the weights.
 */
public final class Autocast implements AutoCloseable {
    private final DeviceType type;
    private final boolean previous;
    private final ScalarType previousDtype;
    private final boolean active;

    private Autocast(DeviceType type, boolean enable, ScalarType dtype) {
        this.type = type;
        this.previous = torch.is_autocast_enabled(type);
        this.previousDtype = torch.get_autocast_dtype(type);
        this.active = true;
        torch.set_autocast_enabled(type, enable);
        if (dtype != null) {
            torch.set_autocast_dtype(type, dtype);
        }
        torch.increment_nesting();
    }

    private Autocast() {
        this.type = null;
        this.previous = false;
        this.previousDtype = null;
        this.active = false;
    }

    /** Autocast to {@code dtype} (bfloat16 or float16) on {@code device}; null: a region that changes nothing. */
    static Autocast enter(Device device, ScalarType dtype) {
        if (dtype == null) {
            return new Autocast();
        }
        return new Autocast(deviceType(device.is_cuda()), true, dtype);
    }

    /** A region with autocast switched off on {@code device}, e.g. for a target that must stay fp32. */
    public static Autocast disabled(Device device) {
        DeviceType type = deviceType(device.is_cuda());
        if (!torch.is_autocast_enabled(type)) {
            return new Autocast();
        }
        return new Autocast(type, false, null);
    }

    /**
     * {@code t} in the dtype of the autocast region open on its device (unchanged outside one). For a tensor that
     * meets low-precision activations in an op autocast does not cast, such as the additive attention mask: a
     * bf16 logit plus an fp32 mask would promote the (B, H, T, T) sum, the softmax and its backward to fp32 and
     * add a cast back before the next matmul.
     */
    public static Tensor inRegionDtype(Tensor t) {
        return isOn(t) ? t.to(torch.get_autocast_dtype(deviceType(t.is_cuda()))) : t;
    }

    /** Whether an autocast region is open on {@code t}'s device (ops on its list then run in low precision). */
    public static boolean isOn(Tensor t) {
        return torch.is_autocast_enabled(deviceType(t.is_cuda()));
    }

    private static DeviceType deviceType(boolean cuda) {
        return cuda ? DeviceType.CUDA : DeviceType.CPU;
    }

    @Override
    public void close() {
        if (!active) {
            return;
        }
        if (torch.decrement_nesting() == 0) {
            torch.clear_cache();
        }
        torch.set_autocast_enabled(type, previous);
        torch.set_autocast_dtype(type, previousDtype);
    }
}
