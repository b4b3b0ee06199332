package semaim.train;

import static semaim.io.CheckpointFolders.MODEL;
import static semaim.io.CheckpointFolders.OPTIMIZER;
import static semaim.io.CheckpointFolders.STATE;
import static semaim.io.CheckpointFolders.TORCH_RNG;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.Tensor;

import com.google.gson.Gson;
import com.google.gson.JsonDeserializer;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;

import semaim.io.CheckpointFolders;
import semaim.io.CheckpointFolders.FileInfo;
import semaim.io.ModelWeights;
import semaim.io.SafeTensors;
import semaim.model.ModelMetadata;
import semaim.model.SemAimModel;
import semaim.torch.LossScaler;
import semaim.torch.Optimizers;
import semaim.torch.Torch;

/**
 * A complete, resumable training state in one folder {@code step-NNNNNNNN/} (layout and integrity rules in
 * {@link CheckpointFolders}):
 * <ul>
 *   <li>{@code model.safetensors}: weights under the reference's names; its metadata holds the model and target
 *       configuration (enough to rebuild the model from this file alone), the whole pre-training config and the
 *       provenance;</li>
 *   <li>{@code optimizer.pt}: AdamW moments and step counts (libtorch archive);</li>
 *   <li>{@code torch-rng.safetensors}: libtorch's CPU generator state (drop path);</li>
 *   <li>{@code state.json}: step, epoch, data position, the Java-side RNG, config, provenance, and the size and
 *       SHA-256 of every other file. Written last: a folder without a valid one is not a checkpoint.</li>
 * </ul>
 * The folder is written under a temporary name and renamed when complete, so a crash or SIGKILL mid-write never
 * damages an existing checkpoint and never leaves a half-written one under a checkpoint name.
 *
 * <p>Test hook: with {@code -Dsemaim.test.checkpointPauseMillis=N} the writer announces
 * {@code "semaim: writing checkpoint"} on stderr and pauses N ms between files, so a test can kill the process
 * mid-write.
 */
public final class Checkpoint {
    private static final Gson GSON = semaim.io.Json.builder().setPrettyPrinting()
            .registerTypeAdapter(PretrainConfig.class,
                    (JsonDeserializer<PretrainConfig>) (json, type, ctx) -> PretrainConfig.fromJson(json))
            .create();

    private Checkpoint() {}

    /**
     * Everything besides tensors that a resume needs.
     *
     * @param step          optimiser steps done
     * @param epoch         epoch to continue in
     * @param batchInEpoch  next micro-batch index of that epoch
     * @param orderRng      state of the Java generator that draws orders (rank 0's)
     * @param worldSize     processes that trained the run (0 in checkpoints of single-process versions: 1)
     * @param rankOrderRngs every rank's order generator, in rank order, when {@code worldSize > 1}; else null
     * @param lossScaler    fp16's dynamic loss scale; null for fp32 and bf16
     */
    public record State(int format, long step, int epoch, int batchInEpoch, long orderRng, double lastLoss,
            PretrainConfig config, Map<String, String> provenance, Map<String, FileInfo> files, int worldSize,
            long[] rankOrderRngs, LossScaler.State lossScaler) {
        /** A single-process fp32/bf16 state. */
        public State(int format, long step, int epoch, int batchInEpoch, long orderRng, double lastLoss,
                PretrainConfig config, Map<String, String> provenance, Map<String, FileInfo> files) {
            this(format, step, epoch, batchInEpoch, orderRng, lastLoss, config, provenance, files, 1, null, null);
        }

        /** The number of processes that wrote it (at least 1). */
        public int processes() {
            return Math.max(1, worldSize);
        }

        /** Rank {@code rank}'s order generator. */
        public long orderRng(int rank) {
            return rankOrderRngs == null ? orderRng : rankOrderRngs[rank];
        }
    }

    /** The entry of rank {@code rank}'s libtorch generator in {@code torch-rng.safetensors}. */
    static String rngEntry(int rank) {
        return rank == 0 ? "cpu_generator" : "cpu_generator.rank" + rank;
    }

    /** Writes a single-process checkpoint (see {@link #write(Path, State, SemAimModel, AdamW, List)}). */
    public static Path write(Path dir, State state, SemAimModel model, AdamW optimizer) throws IOException {
        return write(dir, state, model, optimizer, List.of(Torch.cpuRngState()));
    }

    /**
     * Writes a checkpoint into {@code dir/step-NNNNNNNN} atomically; returns its folder. {@code rngStates}: the
     * libtorch generator state of every rank, in rank order (one entry for a single process).
     */
    public static Path write(Path dir, State state, SemAimModel model, AdamW optimizer, List<Tensor> rngStates)
            throws IOException {
        return write(dir, state, model, optimizer, rngStates, null);
    }

    /** As above, with the EMA target's weights ({@code ema.safetensors}) when {@code ema} is not null. */
    public static Path write(Path dir, State state, SemAimModel model, AdamW optimizer, List<Tensor> rngStates,
            Map<String, Tensor> ema) throws IOException {
        Files.createDirectories(dir);
        Path target = dir.resolve(CheckpointFolders.folderName(state.step()));
        if (Files.isDirectory(target) && CheckpointFolders.isValid(target)) {
            return target;   // the same step was already saved (e.g. an epoch end on a checkpoint step)
        }
        Path tmp = Files.createTempDirectory(dir, "." + CheckpointFolders.folderName(state.step()) + ".tmp-");
        long pause = Long.getLong("semaim.test.checkpointPauseMillis", 0);
        try {
            Map<String, String> meta = new LinkedHashMap<>(state.provenance());
            meta.putAll(ModelMetadata.of(model.config(), model.targetConfig()));
            meta.put("config", state.config().toJson());
            meta.put("step", Long.toString(state.step()));
            ModelWeights.save(model, tmp.resolve(MODEL), meta);
            if (pause > 0) {
                System.err.println("semaim: writing checkpoint " + target);
                System.err.flush();
                sleep(pause);
            }
            Optimizers.save(optimizer, tmp.resolve(OPTIMIZER));
            Map<String, Tensor> rng = new LinkedHashMap<>();
            for (int r = 0; r < rngStates.size(); r++) {
                rng.put(rngEntry(r), rngStates.get(r));
            }
            SafeTensors.write(tmp.resolve(TORCH_RNG), rng, Map.of());
            if (pause > 0) {
                sleep(pause);
            }
            if (ema != null) {
                SafeTensors.write(tmp.resolve(CheckpointFolders.EMA), ema, Map.of());
            }
            Map<String, FileInfo> files = new LinkedHashMap<>();
            for (String f : CheckpointFolders.DATA_FILES) {
                files.put(f, CheckpointFolders.info(tmp.resolve(f)));
            }
            if (ema != null) {
                files.put(CheckpointFolders.EMA, CheckpointFolders.info(tmp.resolve(CheckpointFolders.EMA)));
            }
            State complete = new State(CheckpointFolders.FORMAT, state.step(), state.epoch(), state.batchInEpoch(),
                    state.orderRng(), state.lastLoss(), state.config(), state.provenance(), files, state.worldSize(),
                    state.rankOrderRngs(), state.lossScaler());
            Files.writeString(tmp.resolve(STATE), GSON.toJson(complete), StandardCharsets.UTF_8);
            CheckpointFolders.sealState(tmp);
            if (Files.exists(target)) {
                CheckpointFolders.deleteTree(target);   // an invalid leftover under the final name
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target);
            }
            return target;
        } finally {
            if (Files.exists(tmp)) {
                CheckpointFolders.deleteTree(tmp);
            }
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Reads and validates {@code state.json} and the files it lists (sizes and SHA-256). */
    public static State read(Path folder) throws IOException {
        return parse(CheckpointFolders.verify(folder), folder.resolve(STATE));
    }

    /** A parsed {@code state.json}; its config may be in the current layout or in semaim 0.1's flat one. */
    static State parse(JsonObject json, Path source) throws IOException {
        try {
            return GSON.fromJson(json, State.class);
        } catch (JsonParseException | IllegalArgumentException e) {
            throw new IOException(source + " holds no usable config: " + e.getMessage(), e);
        }
    }

    /** Loads weights, optimiser state and libtorch's generator from a validated checkpoint folder. */
    public static void restore(Path folder, SemAimModel model, AdamW optimizer) throws IOException {
        restore(folder, model, optimizer, 0);
    }

    /** As {@link #restore(Path, SemAimModel, AdamW)}, with rank {@code rank}'s libtorch generator. */
    public static void restore(Path folder, SemAimModel model, AdamW optimizer, int rank) throws IOException {
        ModelWeights.load(model, folder.resolve(MODEL), true);
        Optimizers.load(optimizer, folder.resolve(OPTIMIZER));
        Tensor rng = SafeTensors.read(folder.resolve(TORCH_RNG)).tensors().get(rngEntry(rank));
        if (rng == null) {
            throw new IOException(folder.resolve(TORCH_RNG) + " holds no generator state for rank " + rank);
        }
        Torch.setCpuRngState(rng);
    }
}
