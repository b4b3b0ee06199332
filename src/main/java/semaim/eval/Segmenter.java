package semaim.eval;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

import semaim.model.VisionTransformer;
import semaim.torch.Tensors;

/**
 * A trained encoder + head: saved as one safetensors file ({@code encoder.*}, {@code head.*}, and metadata with
 * the encoder's configuration, the head type and the classes), so that {@code visualize --segmenter} can draw
 * its masks.
 */
public final class Segmenter {
    private final VisionTransformer encoder;
    private final Module head;
    private final Segmentation.Head type;
    private final int classes;

    Segmenter(VisionTransformer encoder, Module head, Segmentation.Head type, int classes) {
        this.encoder = encoder;
        this.head = head;
        this.type = type;
        this.classes = classes;
    }

    public int classes() {
        return classes;
    }

    public VisionTransformer encoder() {
        return encoder;
    }

    /** Normalised images (B, C, S, S) -> class ids (B, S, S), 1..K, as int64. */
    public Tensor predict(Tensor images) {
        return SegmentationScores.predict(encoder, head, images).add(Tensors.scalar(1));
    }

    public void save(java.nio.file.Path file, Map<String, String> provenance) throws IOException {
        Map<String, Tensor> t = new LinkedHashMap<>();
        semaim.io.ModelWeights.stateDict(encoder).forEach((k, v) -> t.put("encoder." + k, v));
        semaim.io.ModelWeights.stateDict(head).forEach((k, v) -> t.put("head." + k, v));
        Map<String, String> meta = new LinkedHashMap<>(provenance);
        meta.putAll(semaim.model.ModelMetadata.of(encoder.config(), semaim.target.TargetConfig.reference()));
        meta.put("segmentation_head", type.name());
        meta.put("classes", Integer.toString(classes));
        semaim.io.SafeTensors.write(file, t, meta);
        semaim.io.CheckpointFolders.writeChecksum(file);
    }

    /** Reads a file written by {@link #save}. */
    public static Segmenter load(java.nio.file.Path file) throws IOException {
        semaim.io.SafeTensors.Contents c = semaim.io.SafeTensors.read(semaim.io.CheckpointFolders
                .verifiedWeights(file));
        String type = c.metadata().get("segmentation_head"), k = c.metadata().get("classes");
        if (type == null || k == null) {
            throw new IllegalArgumentException(file + " is not a segmenter written by semaim segment --save");
        }
        Tensor patch = c.tensors().get("encoder.patch_embed.proj.weight");
        semaim.model.ModelConfig mc = semaim.model.ModelMetadata.read(c.metadata(), (int) patch.size(1),
                file.toString()).model();
        Segmentation.Head h = Segmentation.Head.valueOf(type);
        int classes = Integer.parseInt(k);
        Module head = SegmentationHeads.create(h, mc.width(), classes, mc.patchSize());
        Map<String, Tensor> e = new LinkedHashMap<>(), hd = new LinkedHashMap<>();
        c.tensors().forEach((name, v) -> {
            if (name.startsWith("encoder.")) {
                e.put(name.substring(8), v);
            } else if (name.startsWith("head.")) {
                hd.put(name.substring(5), v);
            }
        });
        VisionTransformer enc = EncoderSource.of(mc, e, file.toString()).build(VisionTransformer.Pooling.CLS, 0);
        semaim.io.ModelWeights.load(head, hd, true, file.toString());
        return new Segmenter(enc, head, h, classes);
    }
}
