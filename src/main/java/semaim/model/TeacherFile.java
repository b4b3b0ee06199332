package semaim.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Consumer;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import semaim.io.CheckpointFolders;
import semaim.io.ModelWeights;
import semaim.io.SafeTensors;
import semaim.target.TargetKind;
import semaim.torch.Tensors;

/**
 * Reads a teacher from a safetensors file, sizing it from its tensors:
 * <ul>
 *   <li>{@code clip}: OpenAI CLIP names ({@code conv1.weight, class_embedding, positional_embedding, ln_pre,
 *       transformer.resblocks.{i}, ln_post, proj}), usually under {@code visual.}; the text tower is ignored;</li>
 *   <li>{@code dino}, {@code vit}: timm ViT names ({@code cls_token, pos_embed, patch_embed.proj, blocks.{i},
 *       norm}), as DINO's checkpoints and {@code semaim export} write them.</li>
 * </ul>
 * A prefix before those names ({@code module.}, {@code teacher.}, {@code visual.}, {@code model.}) is found and
 * stripped. Width, depth, patch, channels, MLP width, grid and output width come from the shapes; the heads (not in
 * any shape) from {@code --teacher-heads}, else the file's {@code heads} metadata, else width / 64 as in CLIP and
 * timm. Half-precision files are read as fp32 (the reference calls {@code .float()}). A teacher whose grid differs
 * from the student's gets its position embedding resampled (bicubic on the patch rows, CLS row kept, as timm's
 * {@code resample_abs_pos_embed}); other mismatches (channels, patch size) fail naming the tensor.
 */
public final class TeacherFile {
    private TeacherFile() {}

    /** A teacher ready to run, with what the provenance records. */
    public record Loaded(Teacher teacher, int featureDim, String sha256, String description) {}

    public static Loaded load(Path file, TargetKind kind, int heads, ModelConfig student, Consumer<String> warn)
            throws IOException {
        String sha = CheckpointFolders.verifiedSha256(file);   // hashed once: checked and recorded
        SafeTensors.Contents contents = SafeTensors.read(file);
        String name = file.toString();
        int h = heads > 0 ? heads : metadataHeads(contents.metadata());
        Loaded loaded = kind == TargetKind.CLIP ? clip(contents.tensors(), name, h, student, warn)
                : vit(contents.tensors(), name, h, student, warn);
        return new Loaded(loaded.teacher(), loaded.featureDim(), sha, loaded.description());
    }

    /** CLIP when the file holds a {@code conv1.weight} (under any prefix), else a timm-named ViT. */
    public static TargetKind detect(Path file) throws IOException {
        for (String k : SafeTensors.read(file).tensors().keySet()) {
            if (k.equals("conv1.weight") || k.endsWith(".conv1.weight")) {
                return TargetKind.CLIP;
            }
        }
        return TargetKind.VIT;
    }

    /**
     * The file's {@code heads} entry ({@code semaim export}, DINO-style files), or the heads of the model config a
     * semaim checkpoint's metadata holds (width 96 with 3 heads: width / 64 would give 1), or 0 (not said).
     */
    private static int metadataHeads(Map<String, String> metadata) {
        if (metadata != null && !metadata.containsKey("heads") && metadata.containsKey(ModelMetadata.MODEL_CONFIG)) {
            try {
                return ModelMetadata.read(metadata, 0, "teacher").model().heads();
            } catch (IllegalArgumentException unreadable) {
                return 0;
            }
        }
        String v = metadata == null ? null : metadata.get("heads");
        try {
            return v == null ? 0 : Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** The tensors under the prefix that precedes {@code anchor}, with the prefix stripped and as fp32. */
    private static Map<String, Tensor> strip(Map<String, Tensor> all, String anchor, String name, String what) {
        String prefix = null;
        for (String k : all.keySet()) {
            if (k.equals(anchor) || k.endsWith("." + anchor)) {
                String p = k.substring(0, k.length() - anchor.length());
                if (prefix == null || p.length() < prefix.length()) {
                    prefix = p;
                }
            }
        }
        if (prefix == null) {
            throw new IllegalArgumentException(name + " has no '" + anchor + "' tensor: it is not " + what);
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : all.entrySet()) {
            if (e.getKey().startsWith(prefix)) {
                Tensor t = e.getValue();
                out.put(e.getKey().substring(prefix.length()), Tensors.scalarType(t) == torch.ScalarType.Float ? t
                        : t.to(torch.ScalarType.Float));
            }
        }
        return out;
    }

    private static Tensor need(Map<String, Tensor> t, String key, String name) {
        Tensor v = t.get(key);
        if (v == null) {
            throw new IllegalArgumentException(name + " lacks the tensor '" + key + "'");
        }
        return v;
    }

    private static int countBlocks(Map<String, Tensor> t, String prefix) {
        TreeSet<Integer> ids = new TreeSet<>();
        for (String k : t.keySet()) {
            if (k.startsWith(prefix)) {
                String rest = k.substring(prefix.length());
                int dot = rest.indexOf('.');
                if (dot > 0) {
                    try {
                        ids.add(Integer.parseInt(rest.substring(0, dot)));
                    } catch (NumberFormatException ignored) {
                        // not a block index
                    }
                }
            }
        }
        return ids.isEmpty() ? 0 : ids.last() + 1;
    }

    /** Checks channels and patch size against the student; returns the teacher's grid side. */
    private static int checkShape(Tensor patchWeight, String key, Tensor pos, String posKey, long tokens, String name,
            ModelConfig student) {
        long c = patchWeight.size(1), p = patchWeight.size(2);
        if (c != student.inChannels()) {
            throw new IllegalArgumentException(name + ": '" + key + "' takes " + c + "-channel images but the"
                    + " student's have " + student.inChannels());
        }
        if (p != student.patchSize() || patchWeight.size(3) != p) {
            throw new IllegalArgumentException(name + ": '" + key + "' has " + p + "x" + patchWeight.size(3)
                    + " patches but the student's are " + student.patchSize() + "x" + student.patchSize()
                    + "; a teacher's tokens must cover the student's patches");
        }
        long n = tokens - 1;
        int g = (int) Math.round(Math.sqrt(n));
        if (n < 1 || (long) g * g != n) {
            throw new IllegalArgumentException(name + ": '" + posKey + "' has " + tokens + " rows, not 1 + a square"
                    + " grid of patches");
        }
        return g;
    }

    private static Tensor fitGrid(Tensor rows, int g, ModelConfig student, String name, String key,
            Consumer<String> warn) {
        int s = student.gridSize();
        if (g == s) {
            return rows;
        }
        warn.accept("teacher " + name + ": '" + key + "' is for a " + g + "x" + g + " grid; resampled (bicubic) to"
                + " the student's " + s + "x" + s);
        return PositionEmbedding.resample(rows, g, s);
    }

    private static int headsFor(int heads, int width) {
        return heads > 0 ? heads : Math.max(1, width / 64);
    }

    private static Loaded clip(Map<String, Tensor> all, String name, int heads, ModelConfig student,
            Consumer<String> warn) {
        Map<String, Tensor> t = strip(all, "conv1.weight", name, "an OpenAI CLIP visual tower (visual.conv1.weight)");
        Tensor conv = need(t, "conv1.weight", name);
        Tensor pos = need(t, "positional_embedding", name);
        Tensor proj = need(t, "proj", name);
        int width = (int) conv.size(0);
        int g = checkShape(conv, "conv1.weight", pos, "positional_embedding", pos.size(0), name, student);
        int layers = countBlocks(t, "transformer.resblocks.");
        if (layers == 0) {
            throw new IllegalArgumentException(name + " lacks 'transformer.resblocks.0.*'");
        }
        int hidden = (int) need(t, "transformer.resblocks.0.mlp.c_fc.weight", name).size(0);
        int out = (int) proj.size(1);
        t.put("positional_embedding", fitGrid(pos, g, student, name, "positional_embedding", warn));
        int h = headsFor(heads, width);
        ClipTeacher teacher = new ClipTeacher(student.inChannels(), student.patchSize(), width, layers, h, hidden,
                student.numPatches() + 1, out);
        ModelWeights.LoadReport r = ModelWeights.load(teacher, t, true, name);
        return new Loaded(teacher, out, null, "CLIP visual tower (width " + width + ", " + layers + " layers, " + h
                + " heads, patch " + student.patchSize() + ", output " + out + "; " + r.loaded().size() + " tensors)");
    }

    private static Loaded vit(Map<String, Tensor> all, String name, int heads, ModelConfig student,
            Consumer<String> warn) {
        Map<String, Tensor> t = strip(all, "patch_embed.proj.weight", name,
                "a timm-named ViT (patch_embed.proj.weight, cls_token, pos_embed, blocks.N, norm)");
        Tensor conv = need(t, "patch_embed.proj.weight", name);
        need(t, "cls_token", name);
        Tensor pos = need(t, "pos_embed", name);
        int width = (int) conv.size(0);
        int g = checkShape(conv, "patch_embed.proj.weight", pos, "pos_embed", pos.size(1), name, student);
        int depth = countBlocks(t, "blocks.");
        if (depth == 0) {
            throw new IllegalArgumentException(name + " lacks 'blocks.0.*'");
        }
        int hidden = (int) need(t, "blocks.0.mlp.fc1.weight", name).size(0);
        t.put("pos_embed", fitGrid(pos.select(0, 0), g, student, name, "pos_embed", warn).unsqueeze(0));
        int h = headsFor(heads, width);
        if (width % h != 0) {
            throw new IllegalArgumentException(name + ": width " + width + " is not divisible by " + h
                    + " heads (set --teacher-heads)");
        }
        ModelConfig tc = new ModelConfig("teacher", student.imageSize(), student.patchSize(), student.inChannels(),
                width, depth, h, hidden / (double) width, 1, HeadType.LINEAR, 0.0, 1e-6);
        VisionTransformer teacher = new VisionTransformer(tc, VisionTransformer.Pooling.CLS, 0);
        ModelWeights.LoadReport r = ModelWeights.load(teacher, t, true, name);
        for (Tensor p : Tensors.list(teacher.parameters())) {
            p.requires_grad_(false);
        }
        teacher.eval();
        return new Loaded(teacher, width, null, "timm ViT (width " + width + ", depth " + depth + ", " + h
                + " heads, patch " + student.patchSize() + "; " + r.loaded().size() + " tensors, "
                + r.unexpected().size() + " unused)");
    }
}
