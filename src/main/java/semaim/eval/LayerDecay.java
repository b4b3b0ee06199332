package semaim.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.bytedeco.pytorch.Tensor;

import semaim.model.VisionTransformer;
import semaim.torch.Nn;
import semaim.torch.Optimizers.ParamGroup;

/**
 * Layer-wise learning-rate decay groups (the reference's {@code param_groups_lrd}): a parameter in layer id l
 * (see {@link VisionTransformer#layerId}) learns at lr x decay^(L + 1 - l); 1-D parameters, {@code pos_embed} and
 * {@code cls_token} get no weight decay.
 */
public final class LayerDecay {
    private LayerDecay() {}

    /** Groups and, in the same order, their lr scales. */
    public record Groups(List<ParamGroup> groups, double[] scales) {}

    public static Groups of(Map<String, Tensor> namedTrainable, int depth, double weightDecay, double decay) {
        TreeMap<String, List<Tensor>> byKey = new TreeMap<>();
        TreeMap<String, double[]> meta = new TreeMap<>();
        for (Map.Entry<String, Tensor> e : namedTrainable.entrySet()) {
            String n = e.getKey();
            boolean noDecay = e.getValue().dim() == 1 || n.equals("pos_embed") || n.equals("cls_token");
            int id = VisionTransformer.layerId(n, depth);
            String key = String.format("layer_%03d_%s", id, noDecay ? "no_decay" : "decay");
            byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(e.getValue());
            meta.put(key, new double[] {scale(id, depth, decay), noDecay ? 0.0 : weightDecay});
        }
        List<ParamGroup> groups = new ArrayList<>();
        double[] scales = new double[byKey.size()];
        int i = 0;
        for (Map.Entry<String, List<Tensor>> e : byKey.entrySet()) {
            double[] m = meta.get(e.getKey());
            groups.add(new ParamGroup(e.getKey(), e.getValue(), m[1]));
            scales[i++] = m[0];
        }
        return new Groups(groups, scales);
    }

    /**
     * What fine-tuning a task head with its encoder optimises: the head's parameters at lr scale 1 (weight decay on
     * matrices and kernels, none on vectors) then, when {@code encoder} is not null, the encoder's trainable ones
     * under layer-wise decay. A null encoder (a frozen one) leaves it out.
     */
    public static Groups withHead(List<org.bytedeco.pytorch.Module> head, VisionTransformer encoder,
            double weightDecay, double decay) {
        List<ParamGroup> groups = new ArrayList<>();
        List<Double> scales = new ArrayList<>(List.of(1.0, 1.0));
        List<Tensor> withDecay = new ArrayList<>(), noDecay = new ArrayList<>();
        for (org.bytedeco.pytorch.Module m : head) {
            Nn.namedParameters(m).forEach((n, p) -> (p.dim() >= 2 ? withDecay : noDecay).add(p));
        }
        groups.add(new ParamGroup("head_decay", withDecay, weightDecay));
        groups.add(new ParamGroup("head_no_decay", noDecay, 0.0));
        if (encoder != null) {
            Map<String, Tensor> named = new java.util.LinkedHashMap<>(Nn.namedParameters(encoder));
            named.values().removeIf(p -> !p.requires_grad());
            Groups ld = of(named, encoder.config().depth(), weightDecay, decay);
            groups.addAll(ld.groups());
            for (double scale : ld.scales()) {
                scales.add(scale);
            }
        }
        return new Groups(groups, scales.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** decay^(depth + 1 - layerId). */
    public static double scale(int layerId, int depth, double decay) {
        return Math.pow(decay, depth + 1 - layerId);
    }
}
