package semaim.model;

import java.util.Map;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;

import semaim.torch.Scope;
import semaim.torch.Tensors;

/**
 * The student's encoder averaged over training: the target network of {@code --target ema} (the reference's
 * {@code --predict_feature ema}, timm's {@code ModelEma}). After every optimiser step, for every encoder tensor
 * (parameters and the position embedding):
 * <pre>
 *   ema <- ema x decay + (1 - decay) x student          (timm: ema_v.copy_(ema_v * decay + (1. - decay) * model_v))
 * </pre>
 * It starts as a copy of the student. Its tokens after the final norm are the target and, by default, give the
 * semantic order (min-max similarity, as with a teacher). Saved in checkpoints ({@code ema.safetensors}) so that a
 * resumed run continues bit-exactly. The reference's own {@code ema} target leaves the attention-based orders without
 * a similarity; here it has one.
 */
public final class EmaTeacher implements Teacher {
    private final VisionTransformer ema;
    private final double decay;

    /** A copy of {@code student}'s encoder, averaged with {@code decay}. */
    public EmaTeacher(SemAimModel student, double decay) {
        if (!(decay > 0 && decay < 1)) {
            throw new IllegalArgumentException("EMA decay must be in (0, 1), got " + decay);
        }
        this.decay = decay;
        this.ema = new VisionTransformer(student.config(), VisionTransformer.Pooling.CLS, 0);
        ema.moveTo(student.device());
        for (Tensor p : Tensors.list(ema.parameters())) {
            p.requires_grad_(false);
        }
        ema.eval();
        copyFrom(student);
    }

    /** The averaged weights (to save), under the encoder's names. */
    public Map<String, Tensor> state() {
        return semaim.io.ModelWeights.stateDict(ema);
    }

    /** Replaces the averaged weights with saved ones. */
    public void load(Map<String, Tensor> weights, String source) {
        semaim.io.ModelWeights.load(ema, weights, true, source);
    }

    private void copyFrom(SemAimModel student) {
        Map<String, Tensor> s = semaim.io.ModelWeights.stateDict(student);
        semaim.io.ModelWeights.load(ema, s, true, "the student");
    }

    /** One EMA step towards {@code student}'s current weights. */
    public void update(SemAimModel student) {
        try (Scope scope = Scope.open()) {
            Map<String, Tensor> s = semaim.io.ModelWeights.stateDict(student);
            Tensors.noGrad(() -> {
                for (Map.Entry<String, Tensor> e : semaim.io.ModelWeights.stateDict(ema).entrySet()) {
                    Tensor v = e.getValue();
                    Tensor m = s.get(e.getKey());
                    Tensors.assign(v, v.mul(Tensors.scalar(decay)).add(m.mul(Tensors.scalar(1.0 - decay))));
                }
                return null;
            });
        }
    }

    public double decay() {
        return decay;
    }

    @Override
    public Tensor tokens(Tensor images) {
        return ema.tokens(images);
    }

    @Override
    public int tokenDim() {
        return ema.tokenDim();
    }

    @Override
    public void moveTo(Device device) {
        ema.moveTo(device);
    }
}
