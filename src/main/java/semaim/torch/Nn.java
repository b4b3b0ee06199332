package semaim.torch;

import java.util.LinkedHashMap;
import java.util.Map;

import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.pytorch.Conv2dImpl;
import org.bytedeco.pytorch.Conv2dOptions;
import org.bytedeco.pytorch.LayerNormImpl;
import org.bytedeco.pytorch.LayerNormOptions;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.LinearOptions;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.StringTensorDict;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** Factories and initialisers for the libtorch layers the model uses, hiding their options objects. */
public final class Nn {
    private Nn() {}

    /**
     * The module's parameters by dotted name, in registration order, as owning handles (the tensors a
     * {@code StringTensorDict} hands out point into container memory; see {@link Tensors#handle}).
     */
    public static Map<String, Tensor> namedParameters(Module module) {
        return toMap(module.named_parameters(true));
    }

    /** The module's buffers by dotted name, in registration order, as owning handles. */
    public static Map<String, Tensor> namedBuffers(Module module) {
        return toMap(module.named_buffers(true));
    }

    private static Map<String, Tensor> toMap(StringTensorDict d) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (long i = 0; i < d.size(); i++) {
            out.put(d.get(i).key().getString(), Tensors.handle(d.get(i).value()));
        }
        return out;
    }

    /** {@code Linear(in, out)} with a bias. */
    public static LinearImpl linear(long in, long out) {
        Torch.init();
        LinearOptions o = new LinearOptions(in, out);
        o.bias().put(true);
        return new LinearImpl(o);
    }

    /** {@code LayerNorm(dim)} with affine parameters and the given epsilon. */
    public static LayerNormImpl layerNorm(long dim, double eps) {
        Torch.init();
        LayerNormOptions o = new LayerNormOptions(Tensors.longs(dim));
        o.eps().put(eps);
        o.elementwise_affine().put(true);
        return new LayerNormImpl(o);
    }

    /** {@code Conv2d(in, out, kernel=k, stride=s)} with a bias and no padding. */
    public static Conv2dImpl conv2d(long in, long out, long kernel, long stride) {
        Torch.init();
        Conv2dOptions o = new Conv2dOptions(in, out, new LongPointer(kernel, kernel));
        o.stride().put(0, stride).put(1, stride);
        o.bias().put(true);
        return new Conv2dImpl(o);
    }

    /**
     * Xavier/Glorot uniform initialisation of a weight viewed as {@code [fanOut, fanIn]}: U(-b, b) with
     * {@code b = sqrt(6 / (fanIn + fanOut))}. libtorch's C++ {@code xavier_uniform_} is not mapped, and computing
     * the bound here also lets a conv weight be initialised through its flattened 2-D view, as MAE does.
     */
    public static void xavierUniform(Tensor weight2d) {
        if (weight2d.dim() != 2) {
            throw new IllegalArgumentException("xavierUniform expects a 2-D view, got " + weight2d.dim() + " dims");
        }
        double bound = Math.sqrt(6.0 / (weight2d.size(0) + weight2d.size(1)));
        try (NoGradGuard g = new NoGradGuard()) {
            torch.uniform_(weight2d, -bound, bound);
        }
    }

    /** Fills with N(mean, std). */
    public static void normal(Tensor t, double mean, double std) {
        try (NoGradGuard g = new NoGradGuard()) {
            torch.normal_(t, mean, std);
        }
    }

    /** Fills with a constant. */
    public static void fill(Tensor t, double value) {
        try (NoGradGuard g = new NoGradGuard()) {
            t.fill_(Tensors.scalar(value));
        }
    }
}
