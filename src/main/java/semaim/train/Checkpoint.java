package semaim.train;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;

import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.InputArchive;
import org.bytedeco.pytorch.OutputArchive;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;

import semaim.io.ModelWeights;
import semaim.io.SafeTensors;
import semaim.model.SemAimModel;

/**
 * A complete, resumable training state in one folder {@code step-NNNNNNNN/}:
 * <ul>
 *   <li>{@code model.safetensors}: weights under the reference's names, with the config and provenance as metadata;</li>
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
    public static final String MODEL = "model.safetensors";
    public static final String OPTIMIZER = "optimizer.pt";
    public static final String TORCH_RNG = "torch-rng.safetensors";
    public static final String STATE = "state.json";
    static final int FORMAT = 1;
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues()
            .create();

    private Checkpoint() {}

    /** Size and SHA-256 of a file in the checkpoint. */
    public record FileInfo(long size, String sha256) {}

    /**
     * Everything besides tensors that a resume needs.
     *
     * @param step          optimiser steps done
     * @param epoch         epoch to continue in
     * @param batchInEpoch  next micro-batch index of that epoch
     * @param orderRng      state of the Java generator that draws orders
     */
    public record State(int format, long step, int epoch, int batchInEpoch, long orderRng, double lastLoss,
            PretrainConfig config, Map<String, String> provenance, Map<String, FileInfo> files) {}

    /** Folder name of the checkpoint after {@code step} optimiser steps. */
    public static String folderName(long step) {
        return String.format("step-%08d", step);
    }

    /** Writes a checkpoint into {@code dir/step-NNNNNNNN} atomically; returns its folder. */
    public static Path write(Path dir, State state, SemAimModel model, AdamW optimizer) throws IOException {
        Files.createDirectories(dir);
        Path target = dir.resolve(folderName(state.step()));
        if (Files.isDirectory(target) && isValid(target)) {
            return target;   // the same step was already saved (e.g. an epoch end on a checkpoint step)
        }
        Path tmp = Files.createTempDirectory(dir, "." + folderName(state.step()) + ".tmp-");
        long pause = Long.getLong("semaim.test.checkpointPauseMillis", 0);
        try {
            Map<String, String> meta = new LinkedHashMap<>(state.provenance());
            meta.put("config", GSON.toJson(state.config()));
            meta.put("step", Long.toString(state.step()));
            ModelWeights.save(model, tmp.resolve(MODEL), meta);
            if (pause > 0) {
                System.err.println("semaim: writing checkpoint " + target);
                System.err.flush();
                sleep(pause);
            }
            OutputArchive archive = new OutputArchive();
            optimizer.save(archive);
            archive.save_to(tmp.resolve(OPTIMIZER).toString());
            Tensor rng = torch.getDefaultCPUGenerator().get_state();
            SafeTensors.write(tmp.resolve(TORCH_RNG), Map.of("cpu_generator", rng), Map.of());
            if (pause > 0) {
                sleep(pause);
            }
            Map<String, FileInfo> files = new LinkedHashMap<>();
            for (String f : List.of(MODEL, OPTIMIZER, TORCH_RNG)) {
                files.put(f, info(tmp.resolve(f)));
            }
            State complete = new State(FORMAT, state.step(), state.epoch(), state.batchInEpoch(), state.orderRng(),
                    state.lastLoss(), state.config(), state.provenance(), files);
            Files.writeString(tmp.resolve(STATE), GSON.toJson(complete), StandardCharsets.UTF_8);
            if (Files.exists(target)) {
                deleteTree(target);   // an invalid leftover under the final name
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target);
            }
            return target;
        } finally {
            if (Files.exists(tmp)) {
                deleteTree(tmp);
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
        Path stateFile = folder.resolve(STATE);
        if (!Files.isRegularFile(stateFile)) {
            throw new IOException(folder + " is not a checkpoint: no " + STATE);
        }
        State s;
        try {
            s = GSON.fromJson(Files.readString(stateFile, StandardCharsets.UTF_8), State.class);
        } catch (JsonParseException e) {
            throw new IOException(stateFile + " is not valid JSON: " + e.getMessage(), e);
        }
        if (s == null || s.format() != FORMAT || s.config() == null || s.files() == null) {
            throw new IOException(stateFile + " is incomplete or of an unknown format");
        }
        for (String f : List.of(MODEL, OPTIMIZER, TORCH_RNG)) {
            FileInfo expected = s.files().get(f);
            Path p = folder.resolve(f);
            if (expected == null || !Files.isRegularFile(p)) {
                throw new IOException(folder + ": " + f + " is missing");
            }
            FileInfo actual = info(p);
            if (actual.size() != expected.size() || !actual.sha256().equals(expected.sha256())) {
                throw new IOException(folder + ": " + f + " is damaged (size or SHA-256 differs from " + STATE + ")");
            }
        }
        return s;
    }

    static boolean isValid(Path folder) {
        try {
            read(folder);
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Loads weights, optimiser state and libtorch's generator from a validated checkpoint folder. */
    public static void restore(Path folder, SemAimModel model, AdamW optimizer) throws IOException {
        ModelWeights.load(model, folder.resolve(MODEL), true);
        InputArchive archive = new InputArchive();
        archive.load_from(folder.resolve(OPTIMIZER).toString());
        optimizer.load(archive);
        Tensor rng = SafeTensors.read(folder.resolve(TORCH_RNG)).tensors().get("cpu_generator");
        torch.getDefaultCPUGenerator().set_state(rng);
    }

    /** Checkpoint folders under {@code dir}, newest (highest step) first. */
    public static List<Path> list(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).filter(p -> p.getFileName().toString().matches("step-\\d{8}"))
                    .sorted(Comparator.comparing((Path p) -> p.getFileName().toString()).reversed()).toList();
        }
    }

    /** The newest valid checkpoint under {@code dir}; invalid ones are reported through {@code warn} and skipped. */
    public static Optional<Path> latestValid(Path dir, Consumer<String> warn) throws IOException {
        for (Path p : list(dir)) {
            try {
                read(p);
                return Optional.of(p);
            } catch (IOException | RuntimeException e) {
                warn.accept("skipping damaged checkpoint " + p + ": " + e.getMessage());
            }
        }
        return Optional.empty();
    }

    /** Deletes all but the newest {@code keep} checkpoints, and any leftover temporary folders. */
    public static void prune(Path dir, int keep) throws IOException {
        List<Path> all = list(dir);
        for (Path p : all.subList(Math.min(keep, all.size()), all.size())) {
            deleteTree(p);
        }
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(p -> p.getFileName().toString().matches("\\.step-\\d{8}\\.tmp-.*")).toList()) {
                deleteTree(p);
            }
        }
    }

    private static FileInfo info(Path p) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        long size = 0;
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(p)) {
            for (int r; (r = in.read(buf)) > 0; ) {
                md.update(buf, 0, r);
                size += r;
            }
        }
        return new FileInfo(size, HexFormat.of().formatHex(md.digest()));
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        List<Path> all = new ArrayList<>();
        try (Stream<Path> s = Files.walk(p)) {
            s.forEach(all::add);
        }
        for (int i = all.size() - 1; i >= 0; i--) {
            Files.deleteIfExists(all.get(i));
        }
    }

    /** The config as JSON (the same form as in checkpoints). */
    public static String toJson(Object o) {
        return GSON.toJson(o);
    }
}
