package semaim.train;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

/** Metrics as JSON lines ({@code metrics.jsonl}), one object per logged step, flushed as written. */
public final class MetricsLog implements AutoCloseable {
    private static final Gson GSON = semaim.io.Json.gson(false);
    private final BufferedWriter out;
    private final Path file;

    /**
     * Opens {@code file} for appending. When resuming at {@code resumedStep}, lines of later steps (written by a
     * run that died after its last checkpoint) are dropped first, so the log never repeats a step; a fresh run
     * ({@code resumedStep} negative) starts an empty log.
     */
    public MetricsLog(Path file, long resumedStep) throws IOException {
        this.file = file;
        if (resumedStep < 0) {
            Files.deleteIfExists(file);
        } else if (Files.exists(file)) {
            List<String> keep = new ArrayList<>();
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                try {
                    JsonObject o = JsonParser.parseString(line).getAsJsonObject();
                    if (o.get("step").getAsLong() <= resumedStep) {
                        keep.add(line);
                    }
                } catch (RuntimeException damagedLine) {
                    // A line cut by a kill is dropped.
                }
            }
            Files.write(file, keep, StandardCharsets.UTF_8);
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
    }

    /**
     * Seconds of training a run's {@code metrics.jsonl} records over all its sessions: {@code elapsed_s} restarts
     * from 0 when a run resumes, so each session's last value is summed (the time after a session's last line is
     * not seen). 0 for a missing file.
     */
    public static double trainingSeconds(Path file) throws IOException {
        if (!Files.exists(file)) {
            return 0;
        }
        double total = 0, session = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            JsonObject o;
            try {
                o = JsonParser.parseString(line).getAsJsonObject();
            } catch (RuntimeException damagedLine) {
                continue;
            }
            if (!o.has("elapsed_s")) {
                continue;   // epoch measurements (k-NN monitor)
            }
            double e = o.get("elapsed_s").getAsDouble();
            if (e < session) {
                total += session;   // a resumed session starts again from 0
            }
            session = e;
        }
        return total + session;
    }

    /** The last value of {@code key} in {@code file}, or NaN when no line has it (or there is no file). */
    public static double last(Path file, String key) throws IOException {
        double v = Double.NaN;
        if (Files.exists(file)) {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                try {
                    JsonObject o = JsonParser.parseString(line).getAsJsonObject();
                    if (o.has(key)) {
                        v = o.get(key).getAsDouble();
                    }
                } catch (RuntimeException damagedLine) {
                    // skipped
                }
            }
        }
        return v;
    }

    /** Appends one line; a failure (a full disk) names the file, which Java's own message does not. */
    public void write(Map<String, ?> values) throws IOException {
        try {
            out.write(GSON.toJson(values));
            out.newLine();
            out.flush();
        } catch (IOException e) {
            String reason = e instanceof java.nio.file.FileSystemException f && f.getReason() != null
                    ? f.getReason() : e.getMessage();
            throw new IOException("cannot append to " + file.toAbsolutePath() + " (" + reason + ")", e);
        }
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
