package semaim.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

import semaim.torch.Nn;
import semaim.torch.Optimizers.ParamGroup;

/**
 * The reference's weight-decay groups (timm {@code add_weight_decay}): parameters that are not trained (the fixed
 * position embedding) are left out; 1-D parameters and biases get no decay; everything else, the CLS token
 * included, is decayed.
 */
public final class ParamGroups {
    private ParamGroups() {}

    public static List<ParamGroup> split(Module model, double weightDecay) {
        List<Tensor> decay = new ArrayList<>(), noDecay = new ArrayList<>();
        List<String> decayNames = new ArrayList<>(), noDecayNames = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : parameters(model).entrySet()) {
            Tensor p = e.getValue();
            if (!p.requires_grad()) {
                continue;
            }
            if (p.dim() <= 1 || e.getKey().endsWith(".bias")) {
                noDecay.add(p);
                noDecayNames.add(e.getKey());
            } else {
                decay.add(p);
                decayNames.add(e.getKey());
            }
        }
        return List.of(new ParamGroup("decay", decay, weightDecay), new ParamGroup("no_decay", noDecay, 0.0));
    }

    /** Names of the parameters that are decayed. */
    public static List<String> decayedNames(Module model) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : parameters(model).entrySet()) {
            Tensor p = e.getValue();
            if (p.requires_grad() && p.dim() > 1 && !e.getKey().endsWith(".bias")) {
                out.add(e.getKey());
            }
        }
        return out;
    }

    private static Map<String, Tensor> parameters(Module model) {
        return Nn.namedParameters(model);
    }
}
