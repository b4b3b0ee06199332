package semaim.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The rules of a pre-training run folder, beside {@link CheckpointFolders}' layout: where a fresh run goes, what a
 * fresh run may find there (nothing, or what a start that never wrote a checkpoint left, which must not block a
 * retry), and which run folder and checkpoint a resume continues. The command line and the Java API both use them.
 */
public final class RunFolders {
    private RunFolders() {}

    /** A new run's default folder: {@code runs/pretrain-<date>-<time>}. */
    public static Path fresh() {
        String now = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        return Path.of("runs", "pretrain-" + now);
    }

    /** The names in a run folder, its lock aside; empty when it does not exist. */
    public static List<String> entries(Path out) throws IOException {
        List<String> present = new ArrayList<>();
        if (Files.isDirectory(out)) {
            try (var entries = Files.list(out)) {
                entries.map(p -> p.getFileName().toString()).filter(n -> !n.equals(RunLock.FILE)).sorted()
                        .forEach(present::add);
            }
        }
        return present;
    }

    /**
     * Whether {@code out} holds only what a start that never wrote a checkpoint leaves (config.json, metrics.jsonl,
     * maps, half-written {@code .step-*.tmp-*} folders): a data error in the first batch, a batch too large for
     * memory, a kill during the first checkpoint. Nothing there can be resumed, so it must not block a retry.
     */
    public static boolean failedStart(Path out) throws IOException {
        List<String> present = entries(out);
        return !present.isEmpty() && CheckpointFolders.RUN_ARTEFACTS.containsAll(present)
                && CheckpointFolders.list(out.resolve(CheckpointFolders.CHECKPOINTS)).isEmpty();
    }

    /** Removes what a start that wrote no checkpoint left ({@code keepConfig}: not config.json), saying which. */
    public static void clearFailedStart(Path out, boolean keepConfig, Consumer<String> warn) throws IOException {
        List<String> removed = new ArrayList<>();
        for (String artefact : entries(out)) {
            if (!(keepConfig && artefact.equals("config.json"))) {
                Path p = out.resolve(artefact);
                if (Files.isDirectory(p)) {   // name what was inside (a half-written checkpoint)
                    try (var inside = Files.list(p)) {
                        inside.forEach(f -> removed.add(artefact + "/" + f.getFileName()));
                    }
                } else {
                    removed.add(artefact);
                }
                CheckpointFolders.deleteTree(p);
            }
        }
        if (!removed.isEmpty()) {
            warn.accept("removed what an earlier start that wrote no checkpoint left in " + out + ": "
                    + String.join(", ", removed));
        }
    }

    /**
     * Makes {@code out} ready for a fresh run: it must be empty, or hold only a failed start's leftovers (cleared with
     * a warning), or {@code overwrite} clears the run that is there.
     */
    public static void prepareFresh(Path out, boolean overwrite, Consumer<String> warn) throws IOException {
        List<String> present = entries(out);
        if (present.isEmpty()) {
            return;
        }
        if (failedStart(out)) {
            clearFailedStart(out, false, warn);
            return;
        }
        if (!overwrite) {
            boolean hasCheckpoints = !CheckpointFolders.list(out.resolve(CheckpointFolders.CHECKPOINTS)).isEmpty();
            throw new IllegalArgumentException(out + (hasCheckpoints ? " already holds checkpoints" : " is not empty")
                    + " (" + String.join(", ", present.subList(0, Math.min(5, present.size())))
                    + (present.size() > 5 ? ", ..." : "") + "): pass --resume auto to continue that run,"
                    + " --overwrite to replace it, or choose another --output");
        }
        for (String artefact : CheckpointFolders.RUN_ARTEFACTS) {
            CheckpointFolders.deleteTree(out.resolve(artefact));
        }
        warn.accept("--overwrite: removed the earlier run in " + out);
    }

    /**
     * The run folder a resume continues: {@code output} for {@code resume} "auto", else the run folder of the
     * checkpoint folder or run folder {@code resume} names.
     */
    public static Path ofResume(String resume, Path output) throws ResumeException {
        if (resume.equals("auto")) {
            if (output == null) {
                throw new ResumeException("--resume auto needs --output DIR (the run folder to continue)");
            }
            if (!Files.isDirectory(output)) {
                throw new ResumeException("no valid checkpoint in " + output.resolve(CheckpointFolders.CHECKPOINTS)
                        + " (" + output + " does not exist)");
            }
            return output;
        }
        Path p = Path.of(resume);
        if (Files.isRegularFile(p.resolve(CheckpointFolders.STATE))) {
            return p.toAbsolutePath().getParent().getParent();   // RUN/checkpoints/step-N
        }
        if (Files.isDirectory(p.resolve(CheckpointFolders.CHECKPOINTS))) {
            return p;
        }
        throw new ResumeException(resume + " is neither a checkpoint folder nor a run folder with checkpoints/");
    }

    /** The checkpoint to resume: the one {@code resume} names, or the newest valid one of run folder {@code out}. */
    public static Path checkpointToResume(String resume, Path out, Consumer<String> warn)
            throws IOException, ResumeException {
        Path p = Path.of(resume);
        if (!resume.equals("auto") && Files.isRegularFile(p.resolve(CheckpointFolders.STATE))) {
            return p;
        }
        Path dir = out.resolve(CheckpointFolders.CHECKPOINTS);
        Optional<Path> latest = CheckpointFolders.latestValid(dir, warn);
        return latest.orElseThrow(() -> new ResumeException("no valid checkpoint in " + dir));
    }
}
