package semaim.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.stream.Stream;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;

/**
 * The layout of a run folder and the integrity rules of its checkpoints, shared by pre-training (which writes and
 * resumes them) and evaluation (which reads their weights):
 * <pre>
 * RUN/config.json, metrics.jsonl, summary.json
 * RUN/checkpoints/step-NNNNNNNN/model.safetensors, optimizer.pt, torch-rng.safetensors, state.json
 * </pre>
 * {@code state.json} is written last but one and lists the size and SHA-256 of every other file; {@code state.sha256}
 * (last) holds the SHA-256 of {@code state.json} itself. A folder without them, or whose files differ from them, is
 * not a checkpoint. Half-written checkpoints live under {@code .step-NNNNNNNN.tmp-*} until they are complete.
 * (Checkpoints of semaim 0.1, layout format 1, have no {@code state.sha256}; they are still read.)
 */
public final class CheckpointFolders {
    public static final String CHECKPOINTS = "checkpoints";
    public static final String MODEL = "model.safetensors";
    public static final String OPTIMIZER = "optimizer.pt";
    public static final String TORCH_RNG = "torch-rng.safetensors";
    public static final String STATE = "state.json";
    public static final String STATE_SHA256 = "state.sha256";
    /** The files {@code state.json} vouches for. */
    public static final List<String> DATA_FILES = List.of(MODEL, OPTIMIZER, TORCH_RNG);
    /** The EMA target's weights, in checkpoints of runs with {@code --target ema}. */
    public static final String EMA = "ema.safetensors";
    /** Version of the layout this version writes: 2 adds {@code state.sha256}. */
    public static final int FORMAT = 2;
    /** What a run folder holds besides its lock: everything {@code pretrain --overwrite} removes. */
    public static final List<String> RUN_ARTEFACTS = List.of("config.json", "metrics.jsonl", "summary.json",
            "budget.json", CHECKPOINTS, "maps", "report.html", "report-assets", "eval");

    /** Checkpoints verified in this process, with the sizes and modification times of their files then. */
    private static final Map<Path, String> VERIFIED = new ConcurrentHashMap<>();

    private CheckpointFolders() {}

    /** Size and SHA-256 (hex) of a file. */
    public record FileInfo(long size, String sha256) {}

    /** Folder name of the checkpoint after {@code step} optimiser steps. */
    public static String folderName(long step) {
        return String.format("step-%08d", step);
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

    /**
     * Reads {@code state.json} and checks every file it lists (present, same size, same SHA-256); returns the
     * parsed state. Fails with a message saying what is wrong.
     */
    public static JsonObject verify(Path folder) throws IOException {
        Path stateFile = folder.resolve(STATE);
        if (!Files.isRegularFile(stateFile)) {
            throw new IOException(folder + " is not a checkpoint: no " + STATE);
        }
        String stamp = stamp(folder);
        byte[] bytes = Files.readAllBytes(stateFile);
        JsonObject state;
        try {
            JsonElement e = StrictJson.parse(new String(bytes, StandardCharsets.UTF_8));
            state = e.isJsonObject() ? e.getAsJsonObject() : null;
        } catch (JsonParseException | IOException e) {
            throw new IOException(stateFile + " is not valid JSON: " + e.getMessage(), e);
        }
        int format = state != null && state.has("format") && state.get("format").isJsonPrimitive()
                ? state.get("format").getAsInt() : -1;
        if (format < 1 || format > FORMAT || !state.has("config") || state.get("config").isJsonNull()
                || !state.has("files") || !state.get("files").isJsonObject()) {
            throw new IOException(stateFile + " is incomplete or of an unknown format");
        }
        if (format >= 2) {
            Path sum = folder.resolve(STATE_SHA256);
            if (!Files.isRegularFile(sum)) {
                throw new IOException(folder + ": " + STATE_SHA256 + " is missing");
            }
            if (!Files.readString(sum, StandardCharsets.UTF_8).strip().equals(sha256(bytes))) {
                throw new IOException(folder + ": " + STATE + " is damaged (its SHA-256 differs from "
                        + STATE_SHA256 + ")");
            }
        }
        JsonObject files = state.getAsJsonObject("files");
        java.util.Set<String> toCheck = new java.util.LinkedHashSet<>(DATA_FILES);
        toCheck.addAll(files.keySet());   // optional files a run adds (the EMA target's weights)
        for (String f : toCheck) {
            Path p = folder.resolve(f);
            if (!files.has(f) || !Files.isRegularFile(p)) {
                throw new IOException(folder + ": " + f + " is missing");
            }
            JsonObject expected = files.getAsJsonObject(f);
            FileInfo actual = info(p);
            if (actual.size() != expected.get("size").getAsLong()
                    || !actual.sha256().equals(expected.get("sha256").getAsString())) {
                throw new IOException(folder + ": " + f + " is damaged (size or SHA-256 differs from " + STATE + ")");
            }
        }
        VERIFIED.put(folder.toAbsolutePath().normalize(), stamp);
        return state;
    }

    /**
     * Whether {@code folder} is a valid checkpoint, re-reading it only when this process has not verified it yet or
     * its state.json changed since (pruning asks at every checkpoint; hashing gigabytes each time would be waste).
     */
    static boolean isKnownValid(Path folder) {
        try {
            String seen = VERIFIED.get(folder.toAbsolutePath().normalize());
            if (seen != null && seen.equals(stamp(folder))) {
                return true;
            }
        } catch (IOException | RuntimeException e) {
            return false;
        }
        return isValid(folder);
    }

    /** Size and modification time of every file of a checkpoint: any write to one changes it. */
    private static String stamp(Path folder) throws IOException {
        StringBuilder s = new StringBuilder();
        for (String f : List.of(STATE, STATE_SHA256, MODEL, OPTIMIZER, TORCH_RNG)) {
            Path p = folder.resolve(f);
            if (Files.exists(p)) {
                s.append(f).append(':').append(Files.size(p)).append(':')
                        .append(Files.getLastModifiedTime(p).toMillis()).append(';');
            }
        }
        return s.toString();
    }

    /** Whether {@code folder} is a complete, undamaged checkpoint. */
    public static boolean isValid(Path folder) {
        try {
            verify(folder);
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** The newest valid checkpoint under {@code dir}; invalid ones are reported through {@code warn} and skipped. */
    public static Optional<Path> latestValid(Path dir, Consumer<String> warn) throws IOException {
        for (Path p : list(dir)) {
            try {
                verify(p);
                return Optional.of(p);
            } catch (IOException | RuntimeException e) {
                warn.accept("skipping damaged checkpoint " + p + ": " + e.getMessage());
            }
        }
        return Optional.empty();
    }

    /**
     * The weights file a user means by {@code path}: the file itself, {@code model.safetensors} of a checkpoint
     * folder, or that of the newest valid checkpoint of a run folder (a damaged newer one is skipped and reported
     * through {@code warn}). A named file or folder is not checked here: {@link #verifiedSha256} does that.
     */
    public static Path locateModel(Path path, Consumer<String> warn) throws IOException {
        if (Files.isRegularFile(path)) {
            return path;
        }
        if (Files.isRegularFile(path.resolve(MODEL))) {
            return path.resolve(MODEL);
        }
        if (Files.isDirectory(path.resolve(CHECKPOINTS))) {
            return latestValid(path.resolve(CHECKPOINTS), warn)
                    .orElseThrow(() -> new IOException("no valid checkpoint in " + path.resolve(CHECKPOINTS)))
                    .resolve(MODEL);
        }
        throw new IOException(path + " is not a checkpoint folder, a run folder or a .safetensors file");
    }

    /**
     * {@code file}, once it matches what is recorded beside it: the {@code state.json} of the checkpoint it belongs
     * to (every file of that checkpoint is checked), or the {@code FILE.sha256} written with it
     * ({@link #writeChecksum}). A file with neither record (another tool's) is taken as it is.
     */
    public static Path verifiedWeights(Path file) throws IOException {
        verifiedSha256(file);
        return file;
    }

    /**
     * As {@link #verifiedWeights}, returning the file's SHA-256, so that a caller who records it (provenance) does
     * not hash the file a second time. A checkpoint verified earlier in this process and unchanged since is not
     * hashed again.
     */
    public static String verifiedSha256(Path file) throws IOException {
        Path folder = file.toAbsolutePath().getParent();
        if (folder != null && Files.isRegularFile(folder.resolve(STATE))) {
            JsonObject state;
            try {
                state = verifyOnce(folder);
            } catch (IOException e) {
                throw new DamagedWeightsException(file + " is damaged: " + e.getMessage()
                        + "; name an earlier checkpoint, or the run folder to take the newest valid one", e);
            }
            JsonObject files = state.getAsJsonObject("files");
            String name = file.getFileName().toString();
            return files.has(name) ? files.getAsJsonObject(name).get("sha256").getAsString() : sha256(file);
        }
        String actual = sha256(file);
        Path sum = checksumFile(file);
        if (Files.isRegularFile(sum)) {
            String recorded = Files.readString(sum, StandardCharsets.UTF_8).strip().split("\\s+")[0];
            if (!recorded.equalsIgnoreCase(actual)) {
                throw new DamagedWeightsException(file + " is damaged: its SHA-256 differs from the one recorded in "
                        + sum, null);
            }
        }
        return actual;
    }

    /** {@link #verify}, skipped (state.json re-read only) for a folder verified in this process and unchanged since. */
    private static JsonObject verifyOnce(Path folder) throws IOException {
        String seen = VERIFIED.get(folder.toAbsolutePath().normalize());
        if (seen != null && seen.equals(stamp(folder))) {
            try {
                return StrictJson.parse(Files.readString(folder.resolve(STATE), StandardCharsets.UTF_8))
                        .getAsJsonObject();
            } catch (JsonParseException | IllegalStateException e) {
                // changed under us: verify in full below
            }
        }
        return verify(folder);
    }

    /** The file that records {@code file}'s SHA-256: {@code FILE.sha256}. */
    public static Path checksumFile(Path file) {
        return file.resolveSibling(file.getFileName() + ".sha256");
    }

    /**
     * Records {@code file}'s SHA-256 beside it as {@code FILE.sha256}, in {@code sha256sum}'s format (so
     * {@code sha256sum -c FILE.sha256} checks it too); every command that reads the file checks it.
     */
    public static void writeChecksum(Path file) throws IOException {
        Files.writeString(checksumFile(file), sha256(file) + "  " + file.getFileName() + "\n",
                StandardCharsets.UTF_8);
    }

    /**
     * Keeps the newest {@code keep} <em>valid</em> checkpoints and deletes every checkpoint older than the oldest
     * kept one; damaged checkpoints never count (newer damaged ones are left for inspection and skipped on
     * resume). Also removes leftover temporary folders.
     */
    public static void prune(Path dir, int keep) throws IOException {
        int valid = 0;
        for (Path p : list(dir)) {
            if (valid >= keep) {
                deleteTree(p);
            } else if (isKnownValid(p)) {
                valid++;
            }
        }
        removeTempFolders(dir);
    }

    /** Deletes half-written checkpoints ({@code .step-NNNNNNNN.tmp-*}) left by a process that died while writing. */
    public static List<Path> removeTempFolders(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<Path> removed;
        try (Stream<Path> s = Files.list(dir)) {
            removed = s.filter(p -> p.getFileName().toString().matches("\\.step-\\d{8}\\.tmp-.*")).toList();
        }
        for (Path p : removed) {
            deleteTree(p);
        }
        return removed;
    }

    /** Size and SHA-256 of a file. */
    public static FileInfo info(Path p) throws IOException {
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

    /** SHA-256 of a file, hex. */
    public static String sha256(Path file) throws IOException {
        return info(file).sha256();
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes {@code state.sha256} for the {@code state.json} in {@code folder}. */
    public static void sealState(Path folder) throws IOException {
        byte[] bytes = Files.readAllBytes(folder.resolve(STATE));
        Files.writeString(folder.resolve(STATE_SHA256), sha256(bytes) + "\n", StandardCharsets.UTF_8);
    }

    /** Deletes a file or a folder with everything in it; nothing happens if it does not exist. */
    public static void deleteTree(Path p) throws IOException {
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
}
