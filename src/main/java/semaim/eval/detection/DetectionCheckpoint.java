package semaim.eval.detection;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.Tensor;

import com.google.gson.JsonObject;

import semaim.io.CheckpointFolders;
import semaim.io.Json;
import semaim.io.SafeTensors;
import semaim.torch.Optimizers;
import semaim.torch.Torch;

/**
 * A detector's training state after an epoch, in the folder layout and with the integrity rules of pre-training's
 * checkpoints ({@link CheckpointFolders}: {@code step-NNNNNNNN/} numbered by epochs done, {@code model.safetensors},
 * {@code optimizer.pt}, {@code torch-rng.safetensors}, then {@code state.json} with every file's SHA-256, written under
 * a temporary name and renamed when complete). Every epoch draws its shuffling from (seed, epoch) alone, so a resumed
 * training repeats the uninterrupted one exactly.
 */
final class DetectionCheckpoint {
    /** Checkpoints kept: the newest and the one before it (a resume falls back to it if the newest is damaged). */
    static final int KEEP = 2;

    private DetectionCheckpoint() {}

    /** What a resume needs besides tensors: epochs done, the settings (must match), the history so far. */
    record State(int epochsDone, Map<String, Object> settings, List<double[]> history) {}

    static Path write(Path dir, State state, Detector detector, AdamW optimizer) throws IOException {
        Files.createDirectories(dir);
        Path target = dir.resolve(CheckpointFolders.folderName(state.epochsDone()));
        Path tmp = Files.createTempDirectory(dir, "." + target.getFileName() + ".tmp-");
        try {
            SafeTensors.write(tmp.resolve(CheckpointFolders.MODEL), detector.stateDict(), detector.metadata());
            Optimizers.save(optimizer, tmp.resolve(CheckpointFolders.OPTIMIZER));
            SafeTensors.write(tmp.resolve(CheckpointFolders.TORCH_RNG), Map.of("rank0", Torch.cpuRngState()),
                    Map.of());
            Map<String, Object> files = new LinkedHashMap<>();
            for (String f : CheckpointFolders.DATA_FILES) {
                files.put(f, CheckpointFolders.info(tmp.resolve(f)));
            }
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("format", CheckpointFolders.FORMAT);
            json.put("epochs_done", state.epochsDone());
            json.put("config", state.settings());
            json.put("history", state.history());
            json.put("files", files);
            Files.writeString(tmp.resolve(CheckpointFolders.STATE), Json.toJson(json), StandardCharsets.UTF_8);
            CheckpointFolders.sealState(tmp);
            CheckpointFolders.deleteTree(target);   // an invalid leftover under the final name
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target);
            }
            CheckpointFolders.prune(dir, KEEP);
            return target;
        } finally {
            CheckpointFolders.deleteTree(tmp);
        }
    }

    /** The newest valid checkpoint of {@code dir}, if any (damaged ones are reported through {@code warn}). */
    static Optional<Path> latest(Path dir, Consumer<String> warn) throws IOException {
        return CheckpointFolders.latestValid(dir, warn);
    }

    /**
     * Restores {@code detector}, {@code optimizer} and libtorch's generator from {@code folder}; returns its state.
     * Settings that differ from {@code settings} refuse the resume, naming the first one.
     */
    static State restore(Path folder, Map<String, Object> settings, Detector detector, AdamW optimizer)
            throws IOException {
        JsonObject json = CheckpointFolders.verify(folder);
        JsonObject saved = json.getAsJsonObject("config");
        JsonObject now = Json.gson(false).toJsonTree(settings).getAsJsonObject();
        for (String key : now.keySet()) {
            if (!now.get(key).equals(saved.get(key))) {
                throw new IllegalArgumentException("cannot resume " + folder + ": it was trained with " + key + " = "
                        + saved.get(key) + ", this run asks for " + now.get(key) + " (start a new --checkpoint-dir)");
            }
        }
        detector.load(SafeTensors.read(folder.resolve(CheckpointFolders.MODEL)).tensors(), folder.toString());
        Optimizers.load(optimizer, folder.resolve(CheckpointFolders.OPTIMIZER));
        Tensor rng = SafeTensors.read(folder.resolve(CheckpointFolders.TORCH_RNG)).tensors().get("rank0");
        Torch.setCpuRngState(rng);
        double[][] history = Json.fromJson(json.get("history").toString(), double[][].class);
        return new State(json.get("epochs_done").getAsInt(), settings, new java.util.ArrayList<>(List.of(history)));
    }
}
