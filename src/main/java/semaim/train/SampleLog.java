package semaim.train;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import semaim.data.BatchLoader;
import semaim.data.ImageSource;

/**
 * Which images each training step saw, one line per image: {@code epoch <tab> batch <tab> index <tab> name}, in
 * {@code DIR/samples-rank-R.tsv} for rank R, when the environment has {@code SEMAIM_LOG_SAMPLES=DIR}. It answers
 * "what was in the batch where the loss jumped?" and lets a test count, in a real multi-process run, that every
 * image is read once per epoch. An environment variable rather than an option, as {@code NCCL_DEBUG} is: a
 * diagnostic that {@code launch} hands to every rank unchanged and that no saved configuration should carry.
 */
final class SampleLog implements AutoCloseable {
    static final String VARIABLE = "SEMAIM_LOG_SAMPLES";

    private final BufferedWriter out;
    private final ImageSource source;

    private SampleLog(Path file, ImageSource source) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
        this.source = source;
    }

    /** The log for {@code rank}, or null when {@value #VARIABLE} is not set. */
    static SampleLog open(ImageSource source, int rank) throws IOException {
        String dir = System.getenv(VARIABLE);
        return dir == null || dir.isBlank() ? null
                : new SampleLog(Path.of(dir).resolve("samples-rank-" + rank + ".tsv"), source);
    }

    /** Records the images of {@code batch}, as the step is about to train on them. */
    void record(BatchLoader.Batch batch) {
        try {
            for (int index : batch.sourceIndices()) {
                out.write(batch.epoch() + "\t" + batch.index() + "\t" + index + "\t" + source.describe(index) + "\n");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the sample log: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
