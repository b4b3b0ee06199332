package semaim.torch;

import java.util.function.Supplier;

import org.bytedeco.pytorch.AbstractTensor;
import org.bytedeco.pytorch.LongVector;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.T_TensorTensor_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Small, typed helpers over Bytedeco's C++-shaped tensor API, so that model code reads like the paper.
 *
 * <p>Two mapping traps live here and nowhere else: {@code new LongVector(n)} is the <em>size</em> constructor (use
 * {@link #longs}), and in-place ops return the receiver's own Java object (never close their result).
 */
public final class Tensors {
    private Tensors() {}

    /** A scalar argument. */
    public static Scalar scalar(double v) {
        return new Scalar(v);
    }

    /** A {@code std::vector<int64_t>} holding exactly these values (not a vector of {@code n} zeros). */
    public static LongVector longs(long... values) {
        return new LongVector(values);
    }

    /** A float32 CPU tensor with a copy of {@code data}. */
    public static Tensor floats(float[] data, long... shape) {
        Torch.init();
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        if (n != data.length) {
            throw new IllegalArgumentException("shape " + java.util.Arrays.toString(shape) + " needs " + n
                    + " values, got " + data.length);
        }
        return AbstractTensor.create(data, shape);
    }

    /** A uint8 CPU tensor with a copy of {@code data} (read as unsigned). */
    public static Tensor uint8s(byte[] data, long... shape) {
        Torch.init();
        return AbstractTensor.create(data, false, shape);
    }

    /** The tensors of a {@code std::vector<Tensor>} as a Java list (owning handles). */
    public static java.util.List<Tensor> list(TensorVector v) {
        java.util.List<Tensor> out = new java.util.ArrayList<>();
        for (long i = 0; i < v.size(); i++) {
            out.add(handle(v.get(i)));
        }
        return out;
    }

    /** {@code F.pad(x, (p, p, p, p), mode="reflect")} on the last two dimensions of (B, C, H, W). */
    public static Tensor reflectPad(Tensor x, long p) {
        return torch.reflection_pad2d(x, p, p, p, p);
    }

    /** Element-wise {@code atan2(y, x)}. */
    public static Tensor atan2(Tensor y, Tensor x) {
        return torch.atan2(y, x);
    }

    /** Sums over non-overlapping k x k windows of (B, C, H, W): (B, C, H/k, W/k). */
    public static Tensor sumPool(Tensor x, long k) {
        return torch.avg_pool2d(x, new long[] {k, k}, new long[] {k, k}, new long[] {0, 0}, false, true,
                new org.bytedeco.pytorch.LongOptional()).mul(scalar(k * k));
    }

    /** Bicubic resize of (B, C, H, W) to (B, C, h, w), {@code align_corners=False}, as timm resamples. */
    public static Tensor resizeBicubic(Tensor x, long h, long w) {
        return torch.upsample_bicubic2d(x, new long[] {h, w}, false);
    }

    /** {@code F.conv2d(x, weight, stride=s)} without bias or padding (a patch embedding). */
    public static Tensor conv2d(Tensor x, Tensor weight, long stride) {
        return torch.conv2d(x, weight, new TensorOptional(), new long[] {stride, stride}, new long[] {0, 0},
                new long[] {1, 1}, 1);
    }

    /**
     * The projections of the rows of {@code x} (n, D) on their first {@code k} principal components, (n, k): rows
     * centred, eigenvectors of the covariance (largest eigenvalue first), each signed so that its largest entry is
     * positive (a stable colour from run to run).
     */
    public static Tensor principalComponents(Tensor x, int k) {
        Tensor c = x.to(torch.ScalarType.Double);
        c = c.sub(c.mean(new long[] {0}, true, new org.bytedeco.pytorch.ScalarTypeOptional()));
        Tensor cov = c.t().matmul(c).div(scalar(Math.max(1, x.size(0) - 1)));                // (D, D)
        Tensor vectors = torch.linalg_eigh(cov).get1();                                      // ascending
        long d = vectors.size(1);
        Tensor top = vectors.narrow(1, d - k, k).flip(new long[] {1});                       // (D, k), largest first
        Tensor biggest = top.abs().argmax(new org.bytedeco.pytorch.LongOptional(0), true);   // (1, k)
        Tensor sign = top.gather(0, biggest).sign();                                         // (1, k)
        return c.matmul(top.mul(sign)).to(torch.ScalarType.Float);
    }

    /** {@code F.conv2d(x, weight, bias, stride=1, padding=p)}. */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, long padding) {
        return torch.conv2d(x, weight, new TensorOptional(bias), new long[] {1, 1}, new long[] {padding, padding},
                new long[] {1, 1}, 1);
    }

    /** {@code F.conv_transpose2d(x, weight, bias, stride=s)}, no padding: a 2x2 stride-2 deconvolution doubles H, W. */
    public static Tensor convTranspose2d(Tensor x, Tensor weight, Tensor bias, long stride) {
        return torch.conv_transpose2d(x, weight, new TensorOptional(bias), new long[] {stride, stride},
                new long[] {0, 0}, new long[] {0, 0}, 1, 1, 1);
    }

    /** {@code F.max_pool2d(x, k, stride=k)}. */
    public static Tensor maxPool2d(Tensor x, long k) {
        return torch.max_pool2d(x, new long[] {k, k}, new long[] {k, k}, new long[] {0, 0}, new long[] {1, 1}, false);
    }

    /** {@code F.group_norm(x, groups, weight, bias, eps=1e-5)}. */
    public static Tensor groupNorm(Tensor x, long groups, Tensor weight, Tensor bias) {
        return torch.group_norm(x, groups, new TensorOptional(weight), new TensorOptional(bias), 1e-5, true);
    }

    /** {@code F.binary_cross_entropy_with_logits(logits, target, reduction='none')}. */
    public static Tensor bceWithLogits(Tensor logits, Tensor target) {
        return torch.binary_cross_entropy_with_logits(logits, target, new TensorOptional(), new TensorOptional(), 0);
    }

    /** Bilinear resize of (B, C, H, W) to (B, C, h, w), {@code align_corners=False}. */
    public static Tensor resizeBilinear(Tensor x, long h, long w) {
        return torch.upsample_bilinear2d(x, new long[] {h, w}, false);
    }

    /** (B, C, H, W) images normalised with per-channel {@code mean} and {@code std}, back to raw values. */
    public static Tensor unnormalise(Tensor images, float[] mean, float[] std) {
        return images.mul(channelwise(std, images)).add(channelwise(mean, images));
    }

    /** (B, C, H, W) raw images normalised with per-channel {@code mean} and {@code std}. */
    public static Tensor normalise(Tensor images, float[] mean, float[] std) {
        return images.sub(channelwise(mean, images)).div(channelwise(std, images));
    }

    private static Tensor channelwise(float[] v, Tensor like) {
        return floats(v, 1, v.length, 1, 1).to(like.device(), like.scalar_type());
    }

    /** A float64 CPU vector with a copy of {@code data}. */
    public static Tensor doubles(double[] data) {
        Torch.init();
        return AbstractTensor.create(data, data.length);
    }

    /** An int64 CPU tensor with a copy of {@code data}. */
    public static Tensor int64s(long[] data, long... shape) {
        Torch.init();
        return AbstractTensor.create(data, shape);
    }

    /** Copies a float64 tensor into a flat Java array in row-major order. */
    public static double[] toDoubles(Tensor t) {
        Tensor c = t.detach().to(torch.ScalarType.Double).cpu().contiguous();
        double[] out = new double[Math.toIntExact(c.numel())];
        c.data_ptr_double().get(out);
        return out;
    }

    /** Copies an integer tensor into a flat Java array in row-major order. */
    public static long[] toLongs(Tensor t) {
        Tensor c = t.detach().to(torch.ScalarType.Long).cpu().contiguous();
        long[] out = new long[Math.toIntExact(c.numel())];
        c.data_ptr_long().get(out);
        return out;
    }

    /** A float32 CPU tensor built from a function of the flat index. */
    public static Tensor floats(long[] shape, java.util.function.IntToDoubleFunction valueAt) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        float[] data = new float[Math.toIntExact(n)];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) valueAt.applyAsDouble(i);
        }
        return floats(data, shape);
    }

    /** Copies any float tensor (any device, any layout) into a flat Java array in row-major order. */
    public static float[] toFloats(Tensor t) {
        Tensor c = t.detach().to(torch.ScalarType.Float).cpu().contiguous();
        float[] out = new float[Math.toIntExact(c.numel())];
        c.data_ptr_float().get(out);
        return out;
    }

    /** Copies a tensor into a {@code [rows][cols]} array; the tensor must have exactly two dimensions. */
    public static float[][] toFloats2d(Tensor t) {
        long[] s = shape(t);
        if (s.length != 2) {
            throw new IllegalArgumentException("expected a 2-D tensor, got shape " + java.util.Arrays.toString(s));
        }
        float[] flat = toFloats(t);
        float[][] out = new float[(int) s[0]][(int) s[1]];
        for (int r = 0; r < s[0]; r++) {
            System.arraycopy(flat, r * (int) s[1], out[r], 0, (int) s[1]);
        }
        return out;
    }

    /** The float tensor {@code [rows][cols]}. */
    public static Tensor fromFloats2d(float[][] rows) {
        int r = rows.length;
        int c = r == 0 ? 0 : rows[0].length;
        float[] flat = new float[r * c];
        for (int i = 0; i < r; i++) {
            if (rows[i].length != c) {
                throw new IllegalArgumentException("ragged rows: row 0 has " + c + " values, row " + i + " has "
                        + rows[i].length);
            }
            System.arraycopy(rows[i], 0, flat, i * c, c);
        }
        return floats(flat, r, c);
    }

    /**
     * The tensor's element type. Enums that JavaCPP returns from native code are fresh objects, so compare them
     * only after {@code intern()}, which this does: {@code scalarType(t) == torch.ScalarType.Float} is safe.
     */
    public static torch.ScalarType scalarType(Tensor t) {
        return t.scalar_type().intern();
    }

    /**
     * An owning handle to the same tensor. Tensors read out of libtorch containers ({@code StringTensorDict},
     * {@code TensorVector}) and the results of {@code Module.register_parameter/register_buffer} point into
     * container memory that is freed or moved later (the process then aborts with "Cannot increase refcount after
     * it reached zero"); keep this copy instead.
     */
    public static Tensor handle(Tensor borrowed) {
        return new Tensor(borrowed);
    }

    /** The tensor's sizes as a Java array. */
    public static long[] shape(Tensor t) {
        long[] s = new long[(int) t.dim()];
        for (int i = 0; i < s.length; i++) {
            s[i] = t.size(i);
        }
        return s;
    }

    /** Runs {@code body} with autograd recording turned off. */
    public static <T> T noGrad(Supplier<T> body) {
        try (NoGradGuard guard = new NoGradGuard()) {
            return body.get();
        }
    }

    /** Copies {@code src} into the parameter or buffer {@code dst} without recording the copy in autograd. */
    public static void assign(Tensor dst, Tensor src) {
        try (NoGradGuard guard = new NoGradGuard()) {
            dst.copy_(src);
        }
    }

    /** Sum over the given dimensions, keeping them as size 1 or not. */
    public static Tensor sum(Tensor t, boolean keepDims, long... dims) {
        return t.sum(dims, keepDims, new ScalarTypeOptional());
    }

    /**
     * L2-normalises along {@code dim} as PyTorch's {@code F.normalize}: x / max(||x||, 1e-12). Used for the cosine
     * similarity of Eq. 2 and for k-NN features.
     */
    public static Tensor l2Normalize(Tensor x, long dim) {
        Tensor norm = sum(x.mul(x), true, dim).sqrt();
        return x.div(norm.clamp_min(scalar(1e-12)));
    }

    /** The {@code k} largest values along {@code dim}, largest first, and their indices (int64). */
    public record TopK(Tensor values, Tensor indices) {}

    /** {@code torch.topk(t, k, dim, largest=True, sorted=True)}. */
    public static TopK topk(Tensor t, long k, long dim) {
        T_TensorTensor_T r = t.topk(k, dim, true, true);
        return new TopK(r.get0(), r.get1());
    }

    /**
     * Depthwise 2-D convolution without bias, stride 1 and zero padding {@code padding} on each side: each of the
     * C channels of {@code input} (B, C, H, W) is convolved with its own kernel of {@code weight} (C, 1, k, k).
     */
    public static Tensor depthwiseConv2d(Tensor input, Tensor weight, long padding) {
        return torch.conv2d(input, weight, new TensorOptional(), new long[] {1, 1}, new long[] {padding, padding},
                new long[] {1, 1}, input.size(1));
    }

    /**
     * softmax(q k^T * scale + mask) v in one fused libtorch call ({@code scaled_dot_product_attention}); q (B, H,
     * Tq, hd), k and v (B, H, Tk, hd), mask additive (broadcastable to (B, H, Tq, Tk)) or null.
     */
    public static Tensor attention(Tensor q, Tensor k, Tensor v, Tensor mask, double scale) {
        Tensor out;
        try (BlasThreads.Region single = BlasThreads.single()) {   // the kernel parallelises itself (BlasThreads)
            out = torch.scaled_dot_product_attention(q, k, v,
                    mask == null ? new TensorOptional() : new TensorOptional(mask),
                    0.0, false, new org.bytedeco.pytorch.DoubleOptional(scale), false);
        }
        BlasThreads.singleDuringBackward(out, q, k, v);
        return out;
    }

    /** Mean over the given dimensions, keeping them as size 1. */
    public static Tensor meanKeep(Tensor t, long... dims) {
        return t.mean(dims, true, new ScalarTypeOptional());
    }

    /** Unbiased variance over the given dimensions, keeping them (PyTorch's default {@code var}). */
    public static Tensor varUnbiasedKeep(Tensor t, long... dims) {
        return t.var(dims, true, true);
    }

    /** Largest absolute element-wise difference, as a double. */
    public static double maxAbsDiff(Tensor a, Tensor b) {
        return a.sub(b).abs().max().item_double();
    }

    /** A vector of tensors (for ops that take {@code std::vector<Tensor>}). */
    public static TensorVector vector(Tensor... ts) {
        return new TensorVector(ts);
    }

    /** Concatenates along {@code dim}. */
    public static Tensor cat(long dim, Tensor... ts) {
        return torch.cat(new TensorVector(ts), dim);
    }

    /** {@code torch.stack(ts, dim)}. */
    public static Tensor stack(long dim, Tensor... ts) {
        return torch.stack(new TensorVector(ts), dim);
    }

    /** Float32 zeros. */
    public static Tensor zeros(long... shape) {
        Torch.init();
        return torch.zeros(shape);
    }
}
