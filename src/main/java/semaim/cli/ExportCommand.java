package semaim.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import semaim.eval.EncoderCheckpoint;
import semaim.eval.EncoderSource;
import semaim.io.CheckpointFolders;
import semaim.io.SafeTensors;
import semaim.model.ModelConfig;
import semaim.torch.Torch;

/**
 * {@code semaim export}: a pre-trained encoder as a timm-named ViT in safetensors, the layout timm, DINO and
 * {@code --target vit} read: {@code cls_token, pos_embed, patch_embed.proj.*, blocks.{i}.*, norm.*} (the decoder,
 * prediction head and blur kernel are left out). The metadata records the shape, the heads (which no tensor shape
 * gives) and where the weights came from.
 */
@Command(name = "export", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write a checkpoint's encoder as a timm-named ViT (.safetensors): usable as --teacher for"
                + " --target vit, and by timm (vit_* models, strict=False for the missing head)."},
        footer = {"", "Example: semaim export --checkpoint runs/long --output teacher.safetensors"})
public final class ExportCommand implements CommandErrors.Command {
    private static final Logger LOG = LoggerFactory.getLogger("semaim");

    @Option(names = "--checkpoint", paramLabel = "PATH", required = true,
            description = "Checkpoint folder, run folder (newest checkpoint) or model .safetensors.")
    Path checkpoint;

    @Option(names = "--output", paramLabel = "FILE", required = true, description = "The .safetensors file to write.")
    Path output;

    @Override
    public Integer call() {
        return CommandErrors.guard("export", () -> {
            Torch.init();
            EncoderCheckpoint c = EncoderSource.open(checkpoint).checkpoint();
            Map<String, Tensor> encoder = new LinkedHashMap<>();
            for (Map.Entry<String, Tensor> e : c.weights().entrySet()) {
                String k = e.getKey();
                if (k.equals("cls_token") || k.equals("pos_embed") || k.startsWith("patch_embed.")
                        || k.startsWith("blocks.") || k.startsWith("norm.")) {
                    encoder.put(k, e.getValue());
                }
            }
            ModelConfig m = c.modelConfig();
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("format", "timm-vit");
            meta.put("heads", Integer.toString(m.heads()));
            meta.put("width", Integer.toString(m.width()));
            meta.put("depth", Integer.toString(m.depth()));
            meta.put("patch_size", Integer.toString(m.patchSize()));
            meta.put("image_size", Integer.toString(m.imageSize()));
            meta.put("in_chans", Integer.toString(m.inChannels()));
            meta.put("layer_norm_eps", Double.toString(m.layerNormEps()));
            meta.put("source", c.file().toAbsolutePath().toString());
            meta.put("source_sha256", c.sha256());
            Path parent = output.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            SafeTensors.write(output, encoder, meta);
            CheckpointFolders.writeChecksum(output);   // --teacher and every reader check it
            LOG.info("wrote {} encoder tensors ({} px, patch {}, width {}, depth {}, {} heads) to {}", encoder.size(),
                    m.imageSize(), m.patchSize(), m.width(), m.depth(), m.heads(), output);
            return ExitCodes.OK;
        });
    }
}
