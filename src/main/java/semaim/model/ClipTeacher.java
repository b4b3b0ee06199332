package semaim.model;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.LayerNormImpl;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

import semaim.torch.Nn;
import semaim.torch.Tensors;

/**
 * OpenAI CLIP's visual transformer ({@code clip/model.py} {@code VisionTransformer}, the reference's
 * {@code models_clip.py}) as the reference runs it for {@code --predict_feature clip} ({@code forward_features_clip}):
 * <pre>
 *   x = conv1(images)                          (B, W, g, g), no bias, kernel = stride = patch
 *   x = [class_embedding; x^T] + positional_embedding       (B, T, W)
 *   x = ln_pre(x), then every resblock:  x += attn(ln_1(x)),  x += c_proj(QuickGELU(c_fc(ln_2(x))))
 *   tokens = ln_post(x) @ proj                 (B, T, F): ln_post on every token, not only CLS as CLIP itself
 * </pre>
 * attn is {@code nn.MultiheadAttention}: one {@code in_proj_weight} (3W, W) for q, k, v, softmax(q k^T / sqrt(W/H)),
 * {@code out_proj}. QuickGELU(x) = x sigmoid(1.702 x). CLIP's LayerNorms use eps 1e-5. Names are CLIP's without the
 * {@code visual.} prefix.
 */
public final class ClipTeacher extends Module implements Teacher {
    private final int width;
    private final int heads;
    private final int patch;
    private final int outDim;
    private final Module conv1;
    private final Tensor conv1Weight;        // (W, C, P, P)
    private final Tensor classEmbedding;     // (W)
    private final Tensor positionalEmbedding;// (T, W)
    private final LayerNormImpl lnPre;
    private final LayerNormImpl lnPost;
    private final Tensor proj;               // (W, F)
    private final Module transformer;
    private final Module resblockList;
    private final Block[] blocks;

    /** One {@code ResidualAttentionBlock}. */
    static final class Block extends Module {
        final LayerNormImpl ln1;
        final LayerNormImpl ln2;
        final Module attn;
        final Tensor inProjWeight;           // (3W, W)
        final Tensor inProjBias;             // (3W)
        final LinearImpl outProj;
        final Module mlp;
        final LinearImpl cFc;
        final LinearImpl cProj;

        Block(int width, int hidden) {
            super("ResidualAttentionBlock");
            ln1 = register_module("ln_1", Nn.layerNorm(width, 1e-5));
            attn = register_module("attn", new Module("MultiheadAttention"));
            inProjWeight = Tensors.handle(attn.register_parameter("in_proj_weight", Tensors.zeros(3L * width, width)));
            inProjBias = Tensors.handle(attn.register_parameter("in_proj_bias", Tensors.zeros(3L * width)));
            outProj = attn.register_module("out_proj", Nn.linear(width, width));
            ln2 = register_module("ln_2", Nn.layerNorm(width, 1e-5));
            mlp = register_module("mlp", new Module("Sequential"));
            cFc = mlp.register_module("c_fc", Nn.linear(width, hidden));
            cProj = mlp.register_module("c_proj", Nn.linear(hidden, width));
        }

        Tensor forward(Tensor x, int heads) {
            long b = x.size(0), t = x.size(1), w = x.size(2), hd = w / heads;
            Tensor qkv = ln1.forward(x).matmul(inProjWeight.t()).add(inProjBias)   // (B, T, 3W)
                    .reshape(b, t, 3, heads, hd).permute(2, 0, 3, 1, 4);          // (3, B, H, T, hd)
            Tensor o = Attention.output(qkv.select(0, 0), qkv.select(0, 1), qkv.select(0, 2), null,
                    1.0 / Math.sqrt(hd));                                          // (B, H, T, hd)
            x = x.add(outProj.forward(o.transpose(1, 2).reshape(b, t, w)));
            Tensor h = cFc.forward(ln2.forward(x));
            h = h.mul(h.mul(Tensors.scalar(1.702)).sigmoid());                    // QuickGELU
            return x.add(cProj.forward(h));
        }
    }

    /** An untrained teacher of this shape; {@link TeacherFile} loads its weights. */
    public ClipTeacher(int channels, int patch, int width, int layers, int heads, int hidden, int tokens, int outDim) {
        super("ClipVisualTransformer");
        if (heads <= 0 || width % heads != 0) {
            throw new IllegalArgumentException("CLIP teacher: width " + width + " is not divisible by " + heads
                    + " heads (set --teacher-heads)");
        }
        this.width = width;
        this.heads = heads;
        this.patch = patch;
        this.outDim = outDim;
        conv1 = register_module("conv1", new Module("Conv2d"));
        conv1Weight = Tensors.handle(conv1.register_parameter("weight", Tensors.zeros(width, channels, patch, patch)));
        classEmbedding = Tensors.handle(register_parameter("class_embedding", Tensors.zeros(width)));
        positionalEmbedding = Tensors.handle(register_parameter("positional_embedding", Tensors.zeros(tokens, width)));
        lnPre = register_module("ln_pre", Nn.layerNorm(width, 1e-5));
        transformer = register_module("transformer", new Module("Transformer"));
        resblockList = transformer.register_module("resblocks", new Module("Sequential"));
        blocks = new Block[layers];
        for (int i = 0; i < layers; i++) {
            blocks[i] = resblockList.register_module(Integer.toString(i), new Block(width, hidden));
        }
        lnPost = register_module("ln_post", Nn.layerNorm(width, 1e-5));
        proj = Tensors.handle(register_parameter("proj", Tensors.zeros(width, outDim)));
        for (Tensor p : Tensors.list(parameters())) {
            p.requires_grad_(false);
        }
        eval();
    }

    @Override
    public Tensor tokens(Tensor images) {
        long b = images.size(0);
        Tensor x = Tensors.conv2d(images, conv1Weight, patch);                     // (B, W, g, g)
        x = x.reshape(b, width, -1).permute(0, 2, 1);                               // (B, N, W)
        Tensor cls = classEmbedding.reshape(1, 1, width).expand(b, 1, width);
        x = Tensors.cat(1, cls, x).add(positionalEmbedding);                        // (B, T, W)
        x = lnPre.forward(x);
        for (Block blk : blocks) {
            x = blk.forward(x, heads);
        }
        return lnPost.forward(x).matmul(proj);                                      // (B, T, F)
    }

    @Override
    public int tokenDim() {
        return outDim;
    }

    @Override
    public void moveTo(Device device) {
        to(device, false);
    }
}
