package semaim.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.bytedeco.pytorch.Tensor;

import semaim.model.VisionTransformer;
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

    /** decay^(depth + 1 - layerId). */
    public static double scale(int layerId, int depth, double decay) {
        return Math.pow(decay, depth + 1 - layerId);
    }
}
