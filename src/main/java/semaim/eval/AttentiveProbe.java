package semaim.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.BatchNorm1dImpl;
import org.bytedeco.pytorch.BatchNormOptions;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

import semaim.torch.DataParallel;
import semaim.torch.Distributed;
import semaim.torch.Nn;
import semaim.torch.Optimizers;
import semaim.torch.Tensors;
import semaim.torch.Torch;
import semaim.util.LrSchedule;

/**
 * The attentive probe of Apple's AIM (El-Nouby et al., 2024), which evaluates autoregressive encoders without
 * relying on a CLS token: a learned query attends to the frozen patch tokens, and the pooled vector is classified.
 * <pre>
 *   z (B, N, D) frozen patch tokens after the final norm
 *   q = W_q c,  k = W_k z,  v = W_v z          c: one learned query (1, 1, D); H heads of D / H
 *   pooled = W_o softmax(q k^T / sqrt(D / H)) v                                 (B, D)
 *   logits = Linear(BatchNorm1d(pooled, affine = False, eps 1e-6))              (B, classes)
 * </pre>
 * Trained with AdamW (0.9, 0.999), weight decay 0.05 on matrices, warm-up + cosine, cross-entropy, on tokens
 * computed once (no augmentation, as our linear probe).
 */
public final class AttentiveProbe {
    /** Final test accuracy (percent) and the per-epoch history [epoch, loss, top1, top5]. */
    public record Result(double top1, double top5, List<double[]> history) {}

    static final class Probe extends Module {
        final Tensor query;
        final LinearImpl q;
        final LinearImpl k;
        final LinearImpl v;
        final LinearImpl out;
        final BatchNorm1dImpl bn;
        final LinearImpl linear;
        final int heads;

        Probe(int dim, int heads, int classes) {
            super("AttentiveProbe");
            this.heads = heads;
            query = Tensors.handle(register_parameter("query", Tensors.zeros(1, 1, dim)));
            Nn.normal(query, 0.0, 0.02);
            q = register_module("q", Nn.linear(dim, dim));
            k = register_module("k", Nn.linear(dim, dim));
            v = register_module("v", Nn.linear(dim, dim));
            out = register_module("proj", Nn.linear(dim, dim));
            BatchNormOptions o = new BatchNormOptions(dim);
            o.affine().put(false);
            o.eps().put(1e-6);
            bn = register_module("bn", new BatchNorm1dImpl(o));
            linear = register_module("linear", Nn.linear(dim, classes));
            Nn.normal(linear.weight(), 0.0, 0.01);
            Nn.fill(linear.bias(), 0.0);
        }

        Tensor forward(Tensor tokens) {                                         // (B, N, D)
            long b = tokens.size(0), n = tokens.size(1), d = tokens.size(2), hd = d / heads;
            Tensor qh = q.forward(query).expand(b, 1, d).reshape(b, 1, heads, hd).transpose(1, 2);   // (B, H, 1, hd)
            Tensor kh = k.forward(tokens).reshape(b, n, heads, hd).transpose(1, 2);                   // (B, H, N, hd)
            Tensor vh = v.forward(tokens).reshape(b, n, heads, hd).transpose(1, 2);
            Tensor pooled = Tensors.attention(qh, kh, vh, null, 1.0 / Math.sqrt(hd))                 // (B, H, 1, hd)
                    .transpose(1, 2).reshape(b, d);
            return linear.forward(bn.forward(out.forward(pooled)));                                 // (B, classes)
        }
    }

    private AttentiveProbe() {}

    /** Heads for width {@code d}: d / 64, at least 1, dividing d. */
    static int headsFor(int d) {
        int h = Math.max(1, d / 64);
        while (d % h != 0) {
            h--;
        }
        return h;
    }

    /**
     * Trains on {@code train} tokens ({@code rows} x {@code n} x {@code dim}, row-major) and evaluates on
     * {@code test}; {@code onEpoch} receives the epoch number after each epoch.
     */
    public static Result train(Features.Tokens train, Features.Tokens test, int epochs, int batchSize, double blr,
            double weightDecay, double warmupEpochs, long seed, IntConsumer onEpoch) {
        if (epochs <= 0 || batchSize <= 0 || !(blr > 0) || !(weightDecay >= 0) || !(warmupEpochs >= 0)
                || warmupEpochs > epochs) {
            throw new IllegalArgumentException("the attentive probe needs epochs > 0, batch size > 0, --blr > 0,"
                    + " --weight-decay >= 0 and warm-up in [0, epochs]; got " + epochs + ", " + batchSize + ", " + blr
                    + ", " + weightDecay + ", " + warmupEpochs);
        }
        int classes = Math.max(train.classes(), test.classes());
        Torch.manualSeed(seed);
        Probe probe = new Probe(train.dim(), headsFor(train.dim()), classes);
        List<Tensor> decay = new ArrayList<>(), noDecay = new ArrayList<>();
        Nn.namedParameters(probe).forEach((name, p) -> (p.dim() >= 2 ? decay : noDecay).add(p));
        double lr = blr * batchSize / 256.0;
        AdamW opt = Optimizers.adamW(List.of(new Optimizers.ParamGroup("decay", decay, weightDecay),
                new Optimizers.ParamGroup("no_decay", noDecay, 0.0)), lr, 0.9, 0.999, 1e-8);
        ProbeLoop.Settings s = new ProbeLoop.Settings("attentive-probe", epochs, batchSize, classes, 0.0,
                new LrSchedule(lr, 0.0, warmupEpochs, epochs), seed, 256);
        List<double[]> history = ProbeLoop.train(new ProbeLoop.Head(probe, probe::forward, opt, DataParallel.none()),
                ProbeLoop.Rows.of(train), ProbeLoop.Rows.of(test), s, Distributed.single(), onEpoch);
        double[] acc = accuracy(probe, test);
        return new Result(acc[0], acc[1], history);
    }

    static double[] accuracy(Probe probe, Features.Tokens test) {
        return ProbeLoop.accuracy(probe, probe::forward, ProbeLoop.Rows.of(test), 256);
    }
}
