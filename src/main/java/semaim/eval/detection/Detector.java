package semaim.eval.detection;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import semaim.data.DecodedImage;
import semaim.eval.EncoderSource;
import semaim.io.CheckpointFolders;
import semaim.io.ModelWeights;
import semaim.io.SafeTensors;
import semaim.model.ModelConfig;
import semaim.model.ModelMetadata;
import semaim.model.VisionTransformer;
import semaim.torch.Scope;
import semaim.torch.Tensors;

/**
 * A ViT backbone, its simple feature pyramid and the FCOS head: images in, boxes out. The pyramid's strides are a
 * quarter, a half, one and two patches (ViTDet's 4x, 2x, 1x, 1/2x of the patch grid). Saved as one safetensors file
 * ({@code encoder.*}, {@code pyramid.*}, {@code head.*}; metadata: the encoder's configuration, the pyramid's width and
 * the category ids and names) so that {@code visualize --detector} can draw its boxes.
 */
public final class Detector {
    private final VisionTransformer encoder;
    private final SimpleFeaturePyramid pyramid;
    private final FcosHead head;
    private final int channels;
    private final List<Integer> categoryIds;
    private final List<String> categoryNames;

    /** A new pyramid and head of {@code channels} on {@code encoder}, for the given categories (class index order). */
    Detector(VisionTransformer encoder, int channels, List<Integer> categoryIds, List<String> categoryNames) {
        this.encoder = encoder;
        this.channels = channels;
        this.categoryIds = List.copyOf(categoryIds);
        this.categoryNames = List.copyOf(categoryNames);
        this.pyramid = new SimpleFeaturePyramid(encoder.tokenDim(), channels);
        this.head = new FcosHead(channels, categoryIds.size(), SimpleFeaturePyramid.SCALES.length);
    }

    public VisionTransformer encoder() {
        return encoder;
    }

    SimpleFeaturePyramid pyramid() {
        return pyramid;
    }

    FcosHead head() {
        return head;
    }

    /** The input side, in pixels. */
    public int imageSize() {
        return encoder.config().imageSize();
    }

    /** Category ids (COCO's), by class index. */
    public List<Integer> categoryIds() {
        return categoryIds;
    }

    /** Category names, by class index. */
    public List<String> categoryNames() {
        return categoryNames;
    }

    /** The pyramid's levels for this input size: strides patch/4, patch/2, patch, 2 patch. */
    public List<FcosTargets.Level> levels() {
        int p = encoder.config().patchSize();
        if (p % 4 != 0) {
            throw new IllegalArgumentException("the detector's pyramid needs a patch size divisible by 4, got " + p);
        }
        return FcosTargets.levels(imageSize(), p / 4, p / 2, p, 2 * p);
    }

    /** Normalised images (B, C, S, S) -> the head's outputs over every level's locations. */
    FcosHead.Output forward(Tensor images) {
        int grid = encoder.config().gridSize();
        Tensor tokens = encoder.tokens(images).narrow(1, 1, (long) grid * grid);      // (B, g g, D)
        return head.forward(pyramid.forward(tokens, grid));
    }

    /** Like {@link #forward} with the encoder run without gradient (a frozen backbone). */
    FcosHead.Output forwardFrozen(Tensor images) {
        int grid = encoder.config().gridSize();
        Tensor tokens = Tensors.noGrad(() -> encoder.tokens(images).narrow(1, 1, (long) grid * grid));
        return head.forward(pyramid.forward(tokens, grid));
    }

    /** Normalised images (B, C, S, S) -> per image its boxes in input pixels, best first (eval mode, no gradient). */
    public List<List<BoxDecoding.Box>> detect(Tensor images) {
        boolean[] modes = {encoder.is_training(), pyramid.is_training(), head.is_training()};
        setTraining(false);
        try {
            return Tensors.noGrad(() -> {
                FcosHead.Output out = forward(images);
                int b = (int) images.size(0), k = categoryIds.size(), s = imageSize();
                float[] probs = Tensors.toFloats(out.classLogits().sigmoid().to(torch.ScalarType.Float).contiguous());
                float[] ltrb = Tensors.toFloats(out.distances().to(torch.ScalarType.Float)
                        .contiguous());
                float[] ctr = Tensors.toFloats(out.centrenessLogits().sigmoid().to(torch.ScalarType.Float).contiguous());
                int n = ctr.length / b;
                List<FcosTargets.Level> levels = levels();
                List<List<BoxDecoding.Box>> all = new ArrayList<>();
                for (int i = 0; i < b; i++) {
                    all.add(BoxDecoding.decode(levels, Arrays.copyOfRange(probs, i * n * k, (i + 1) * n * k), k,
                            Arrays.copyOfRange(ltrb, i * n * 4, (i + 1) * n * 4), Arrays.copyOfRange(ctr, i * n,
                            (i + 1) * n), s, s));
                }
                return all;
            });
        } finally {
            encoder.train(modes[0]);
            pyramid.train(modes[1]);
            head.train(modes[2]);
        }
    }

    /**
     * Images of any size ({@code channels} of the encoder) -> per image its boxes in that image's own pixels: each is
     * letterboxed into the input as in training, and the boxes scaled back.
     */
    public List<List<BoxDecoding.Box>> detectImages(List<DecodedImage> images, Device device) {
        int s = imageSize(), c = encoder.config().inChannels(), n = images.size();
        float[] px = new float[n * c * s * s];
        double[] scales = new double[n];
        for (int k = 0; k < n; k++) {
            if (images.get(k).channels() != c) {
                throw new IllegalArgumentException("the detector reads " + c + "-channel images, got "
                        + images.get(k).channels());
            }
            DetectionData.Letterboxed lb = DetectionData.letterbox(images.get(k), s, false);
            System.arraycopy(lb.pixels(), 0, px, k * c * s * s, c * s * s);
            scales[k] = lb.scale();
        }
        List<List<BoxDecoding.Box>> boxes;
        try (Scope scope = Scope.open()) {
            boxes = detect(Tensors.floats(px, n, c, s, s).to(device, torch.ScalarType.Float));
        }
        List<List<BoxDecoding.Box>> out = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            double f = scales[k];
            out.add(boxes.get(k).stream().map(b -> new BoxDecoding.Box(b.x0() / f, b.y0() / f, b.x1() / f, b.y1() / f,
                    b.classIndex(), b.score())).toList());
        }
        return out;
    }

    void setTraining(boolean on) {
        encoder.train(on);
        pyramid.train(on);
        head.train(on);
    }

    /** Every trainable tensor under its file name ({@code encoder.*}, {@code pyramid.*}, {@code head.*}). */
    Map<String, Tensor> stateDict() {
        Map<String, Tensor> t = new LinkedHashMap<>();
        ModelWeights.stateDict(encoder).forEach((k, v) -> t.put("encoder." + k, v));
        ModelWeights.stateDict(pyramid).forEach((k, v) -> t.put("pyramid." + k, v));
        ModelWeights.stateDict(head).forEach((k, v) -> t.put("head." + k, v));
        return t;
    }

    /** Metadata that rebuilds this detector: the encoder's configuration, the pyramid's width, the categories. */
    Map<String, String> metadata() {
        Map<String, String> meta = new LinkedHashMap<>(ModelMetadata.of(encoder.config(),
                semaim.target.TargetConfig.reference()));
        meta.put("detector", "fcos-simple-feature-pyramid");
        meta.put("pyramid_channels", Integer.toString(channels));
        meta.put("category_ids", semaim.io.Json.toJson(categoryIds));
        meta.put("category_names", semaim.io.Json.toJson(categoryNames));
        return meta;
    }

    /** Writes the detector to {@code file} (with a {@code .sha256} beside it), {@code provenance} in its metadata. */
    public void save(Path file, Map<String, String> provenance) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>(provenance);
        meta.putAll(metadata());
        SafeTensors.write(file, stateDict(), meta);
        CheckpointFolders.writeChecksum(file);
    }

    /** Loads weights of the same architecture (a resumed training's checkpoint) into this detector. */
    void load(Map<String, Tensor> tensors, String source) {
        Map<String, Map<String, Tensor>> parts = split(tensors);
        ModelWeights.load(encoder, parts.get("encoder"), true, source);
        ModelWeights.load(pyramid, parts.get("pyramid"), true, source);
        ModelWeights.load(head, parts.get("head"), true, source);
    }

    /** Reads a file written by {@link #save}. */
    public static Detector load(Path file) throws IOException {
        SafeTensors.Contents c = SafeTensors.read(CheckpointFolders.verifiedWeights(file));
        Map<String, String> meta = c.metadata();
        if (!"fcos-simple-feature-pyramid".equals(meta.get("detector")) || !meta.containsKey("pyramid_channels")) {
            throw new IllegalArgumentException(file + " is not a detector written by semaim detect --save");
        }
        Tensor patch = c.tensors().get("encoder.patch_embed.proj.weight");
        ModelConfig mc = ModelMetadata.read(meta, (int) patch.size(1), file.toString()).model();
        List<Integer> ids = Arrays.asList(semaim.io.Json.fromJson(meta.get("category_ids"), Integer[].class));
        List<String> names = Arrays.asList(semaim.io.Json.fromJson(meta.get("category_names"), String[].class));
        Map<String, Map<String, Tensor>> parts = split(c.tensors());
        VisionTransformer enc = EncoderSource.of(mc, parts.get("encoder"), file.toString())
                .build(VisionTransformer.Pooling.CLS, 0);
        Detector d = new Detector(enc, Integer.parseInt(meta.get("pyramid_channels")), ids, names);
        d.load(c.tensors(), file.toString());
        return d;
    }

    private static Map<String, Map<String, Tensor>> split(Map<String, Tensor> tensors) {
        Map<String, Map<String, Tensor>> parts = new LinkedHashMap<>();
        for (String p : List.of("encoder", "pyramid", "head")) {
            parts.put(p, new LinkedHashMap<>());
        }
        tensors.forEach((name, v) -> {
            int dot = name.indexOf('.');
            Map<String, Tensor> part = dot > 0 ? parts.get(name.substring(0, dot)) : null;
            if (part != null) {
                part.put(name.substring(dot + 1), v);
            }
        });
        return parts;
    }
}
