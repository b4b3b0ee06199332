package semaim.torch;

import org.bytedeco.pytorch.Device;
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
        return new Autocast(device.is_cuda() ? DeviceType.CUDA : DeviceType.CPU, true, dtype);
    }

    /** A region with autocast switched off on {@code device}, e.g. for a target that must stay fp32. */
    public static Autocast disabled(Device device) {
        DeviceType type = device.is_cuda() ? DeviceType.CUDA : DeviceType.CPU;
        if (!torch.is_autocast_enabled(type)) {
            return new Autocast();
        }
        return new Autocast(type, false, null);
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
