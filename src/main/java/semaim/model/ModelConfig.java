package semaim.model;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Architecture of a SemAIM model: the ViT encoder (Eq. 7-8), the parallel cross-attention decoder (Eq. 9-10) and
 * the prediction head (Eq. 11). Immutable; every invalid combination fails here, at construction, with a message
 * that names the offending values.
 *
 * <p>Presets use timm-style names: the paper's {@code vit_base_patch16_224} and {@code vit_large_patch16_224},
 * plus tiny, small and huge, and small CPU presets for 28-64 px images ({@link #preset(String)}).
 *
 * @param name          a label stored with checkpoints (a preset name, or anything)
 * @param imageSize     input height = width in pixels
 * @param patchSize     patch side P; {@code imageSize} must be a multiple of it
 * @param inChannels    1 (grayscale) or 3 (RGB); any positive number is accepted
 * @param width         token width D; a multiple of {@code heads} and of 4 (2-D sin-cos position embedding)
 * @param depth         encoder depth L
 * @param heads         attention heads, in the encoder and the decoder
 * @param mlpRatio      MLP hidden width / D (4 in ViT)
 * @param decoderDepth  decoder depth L' with 1 &lt;= L' &lt;= L; see {@link DecoderPairing} for which encoder layer
 *                      each decoder block reads
 * @param headType      MLP (paper, reference default) or LINEAR
 * @param dropPath      stochastic-depth rate of the last block (linear from 0); the reference pre-trains with 0
 * @param layerNormEps  epsilon of every LayerNorm (1e-6 in the reference)
 */
public record ModelConfig(
        String name,
        int imageSize,
        int patchSize,
        int inChannels,
        int width,
        int depth,
        int heads,
        double mlpRatio,
        int decoderDepth,
        HeadType headType,
        double dropPath,
        double layerNormEps) {

    public ModelConfig {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("model name must not be empty");
        }
        requirePositive("imageSize", imageSize);
        requirePositive("patchSize", patchSize);
        requirePositive("inChannels", inChannels);
        requirePositive("width", width);
        requirePositive("depth", depth);
        requirePositive("heads", heads);
        requirePositive("decoderDepth", decoderDepth);
        if (imageSize % patchSize != 0) {
            throw new IllegalArgumentException("image size " + imageSize + " is not a multiple of patch size "
                    + patchSize + " (try an image size of " + (imageSize / patchSize) * patchSize + " or "
                    + (imageSize / patchSize + 1) * patchSize + ")");
        }
        if (imageSize / patchSize < 2) {
            throw new IllegalArgumentException("image size " + imageSize + " with patch size " + patchSize
                    + " gives a single patch; autoregression needs at least a 2x2 grid");
        }
        if (width % heads != 0) {
            throw new IllegalArgumentException("width " + width + " is not divisible by " + heads + " heads");
        }
        if (width % 4 != 0) {
            throw new IllegalArgumentException("width " + width
                    + " must be a multiple of 4 for the 2-D sin-cos position embedding");
        }
        if (decoderDepth > depth) {
            throw new IllegalArgumentException("decoder depth " + decoderDepth + " exceeds encoder depth " + depth
                    + ": each decoder block reads a distinct encoder layer (L' <= L)");
        }
        if (!(mlpRatio > 0) || Double.isInfinite(mlpRatio)) {
            throw new IllegalArgumentException("mlpRatio must be positive, got " + mlpRatio);
        }
        if (!(dropPath >= 0 && dropPath < 1)) {
            throw new IllegalArgumentException("dropPath must be in [0, 1), got " + dropPath);
        }
        if (!(layerNormEps > 0)) {
            throw new IllegalArgumentException("layerNormEps must be positive, got " + layerNormEps);
        }
        if (headType == null) {
            throw new IllegalArgumentException("headType must be given (MLP or LINEAR)");
        }
    }

    private static void requirePositive(String field, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(field + " must be positive, got " + v);
        }
    }

    /** Patches per side. */
    public int gridSize() {
        return imageSize / patchSize;
    }

    /** N, the number of patches (tokens without CLS). */
    public int numPatches() {
        return gridSize() * gridSize();
    }

    /** Width of one attention head. */
    public int headDim() {
        return width / heads;
    }

    /** Hidden width of every MLP (blocks and head). */
    public int mlpHidden() {
        return (int) (width * mlpRatio);
    }

    /** Size of a pixel target per patch: P*P*C, channel last (the head's output size). */
    public int pixelsPerPatch() {
        return patchSize * patchSize * inChannels;
    }

    /**
     * This architecture with any of patch size, width, depth and heads replaced (0 keeps the value); the name
     * becomes {@code custom_d<width>_l<depth>_h<heads>_p<patch>} when anything changed.
     */
    public ModelConfig withShape(int patch, int width, int depth, int heads) {
        return withOverrides(0, patch, width, depth, heads, 0);
    }

    /**
     * Every override at once (0 keeps the value), validated once on the result: {@code --image-size 224
     * --patch-size 16} on a 28 px preset is a valid 14 x 14 grid, though 28 is no multiple of 16. Changing the
     * patch size, width, depth or heads names the result {@code custom_d<width>_l<depth>_h<heads>_p<patch>}; a
     * shallower encoder takes the decoder down with it unless {@code decoderDepth} is given.
     */
    public ModelConfig withOverrides(int imageSize, int patch, int width, int depth, int heads, int decoderDepth) {
        int s = imageSize > 0 ? imageSize : this.imageSize, p = patch > 0 ? patch : patchSize,
                w = width > 0 ? width : this.width, l = depth > 0 ? depth : this.depth,
                h = heads > 0 ? heads : this.heads;
        int dec = decoderDepth > 0 ? decoderDepth : Math.min(this.decoderDepth, l);
        boolean reshaped = p != patchSize || w != this.width || l != this.depth || h != this.heads;
        String n = reshaped ? "custom_d" + w + "_l" + l + "_h" + h + "_p" + p : name;
        return new ModelConfig(n, s, p, inChannels, w, l, h, mlpRatio, dec, headType, dropPath, layerNormEps);
    }

    /**
     * A warning when this model's grid is more than twice as many patches per side as {@code base}'s (the preset
     * it came from): attention costs grow with the square of the tokens, so {@code --image-size 224} alone on a
     * preset made for 7 x 7 builds a 3,136-token model at ~90 s per step. Names the patch size that keeps the
     * preset's grid. Empty when the grid is in scale.
     */
    public java.util.Optional<String> gridWarning(ModelConfig base) {
        if (gridSize() <= 2 * base.gridSize()) {
            return java.util.Optional.empty();
        }
        int keep = imageSize / base.gridSize();
        String hint = keep > 0 && imageSize % base.gridSize() == 0
                ? "; --patch-size " + keep + " keeps its " + base.gridSize() + "x" + base.gridSize() + " grid" : "";
        return java.util.Optional.of(String.format("%d px with patch %d gives a %dx%d grid (%,d tokens) on %s, a"
                + " preset made for %dx%d: each step costs far more than the preset's%s", imageSize, patchSize,
                gridSize(), gridSize(), numPatches(), base.name(), base.gridSize(), base.gridSize(), hint));
    }

    public ModelConfig withImageSize(int v) {
        return new ModelConfig(name, v, patchSize, inChannels, width, depth, heads, mlpRatio, decoderDepth,
                headType, dropPath, layerNormEps);
    }

    public ModelConfig withInChannels(int v) {
        return new ModelConfig(name, imageSize, patchSize, v, width, depth, heads, mlpRatio, decoderDepth,
                headType, dropPath, layerNormEps);
    }

    public ModelConfig withDecoderDepth(int v) {
        return new ModelConfig(name, imageSize, patchSize, inChannels, width, depth, heads, mlpRatio, v,
                headType, dropPath, layerNormEps);
    }

    public ModelConfig withHeadType(HeadType v) {
        return new ModelConfig(name, imageSize, patchSize, inChannels, width, depth, heads, mlpRatio,
                decoderDepth, v, dropPath, layerNormEps);
    }

    public ModelConfig withDropPath(double v) {
        return new ModelConfig(name, imageSize, patchSize, inChannels, width, depth, heads, mlpRatio,
                decoderDepth, headType, v, layerNormEps);
    }

    private static final Map<String, ModelConfig> PRESETS = new LinkedHashMap<>();

    private static void preset(String name, int img, int patch, int ch, int width, int depth, int heads,
            int decoderDepth) {
        PRESETS.put(name, new ModelConfig(name, img, patch, ch, width, depth, heads, 4.0, decoderDepth,
                HeadType.MLP, 0.0, 1e-6));
    }

    static {
        // The paper's models (ImageNet, 224 px, RGB). The reference pairs 12 decoder blocks with ViT-B and ViT-L.
        preset("vit_tiny_patch16_224", 224, 16, 3, 192, 12, 3, 12);
        preset("vit_small_patch16_224", 224, 16, 3, 384, 12, 6, 12);
        preset("vit_base_patch16_224", 224, 16, 3, 768, 12, 12, 12);
        preset("vit_large_patch16_224", 224, 16, 3, 1024, 24, 16, 12);
        preset("vit_huge_patch16_224", 224, 16, 3, 1280, 32, 16, 16);
        // CPU presets for 28-64 px images (Fashion-MNIST, CIFAR-sized photos). Grayscale by default at 28 px.
        preset("vit_pico_patch2_28", 28, 2, 1, 64, 4, 4, 2);
        preset("vit_nano_patch4_28", 28, 4, 1, 96, 6, 3, 6);
        preset("vit_micro_patch4_32", 32, 4, 3, 128, 6, 4, 6);
        preset("vit_mini_patch8_64", 64, 8, 3, 192, 8, 3, 8);
    }

    /** The preset names, in the order above. */
    public static java.util.Set<String> presetNames() {
        return java.util.Collections.unmodifiableSet(PRESETS.keySet());
    }

    /** A preset by its timm-style name (case-insensitive); fails with the list of known names. */
    public static ModelConfig preset(String name) {
        ModelConfig c = PRESETS.get(name.toLowerCase(Locale.ROOT));
        if (c == null) {
            throw new IllegalArgumentException("unknown model preset '" + name + "'; known: "
                    + String.join(", ", PRESETS.keySet()));
        }
        return c;
    }
}
