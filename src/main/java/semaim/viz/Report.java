package semaim.viz;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

/**
 * One self-contained HTML page per run (images inlined as data URIs, no script, no external resource): config,
 * provenance, summary, training curves, the maps on sample images (the latest and the earliest written during
 * training, plus any given), and evaluation results found in the run folder ({@code eval/*.json}).
 */
public final class Report {
    private Report() {}

    /** Writes {@code runDir/report.html}; {@code extraMaps} are PNGs to include (may be empty). */
    public static Path write(Path runDir, List<Path> extraMaps) throws IOException {
        Path assets = runDir.resolve("report-assets");
        List<Path> curves = TrainingCurves.write(runDir.resolve("metrics.jsonl"), assets);
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
                .append("<title>semaim run ").append(esc(runDir.getFileName().toString())).append("</title>")
                .append("<link rel=\"icon\" href=\"data:,\">")
                .append("<style>body{font-family:sans-serif;margin:24px;max-width:1400px;color:#222}")
                .append("table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;")
                .append("text-align:left;font-size:13px;vertical-align:top}th{background:#f2f2f2}")
                .append("img{max-width:100%;border:1px solid #ddd;margin:4px 0}h2{margin-top:28px}</style></head><body>\n");
        h.append("<h1>semaim pre-training run: ").append(esc(runDir.toAbsolutePath().toString())).append("</h1>\n");
        JsonObject summary = readJson(runDir.resolve("summary.json"));
        if (summary != null) {
            h.append("<h2>Summary</h2>\n").append(table(summary, "provenance"));
        }
        if (!curves.isEmpty()) {
            h.append("<h2>Training curves</h2>\n");
            for (Path p : curves) {
                h.append(img(p, p.getFileName().toString()));
            }
        }
        List<Path> maps = new ArrayList<>(extraMaps);
        Path mapDir = runDir.resolve("maps");
        if (Files.isDirectory(mapDir)) {
            List<Path> epochs;
            try (Stream<Path> s = Files.list(mapDir)) {
                epochs = s.filter(p -> p.getFileName().toString().matches("epoch-\\d+\\.png")).sorted().toList();
            }
            if (!epochs.isEmpty()) {
                maps.add(0, epochs.get(epochs.size() - 1));
                if (epochs.size() > 1) {
                    maps.add(epochs.get(0));
                }
            }
        }
        if (!maps.isEmpty()) {
            h.append("<h2>Maps on sample images</h2>\n<p>Columns: input; the last block's CLS self-attention (mean over ")
                    .append("heads); the similarity map S (Eq. 2); the raster, stochastic, similarity and semantic-aware ")
                    .append("orders (warm = predicted first); the semantic-order prediction de-normalised; the blurred ")
                    .append("target.</p>\n");
            for (Path p : maps) {
                h.append("<h3>").append(esc(p.getFileName().toString())).append("</h3>\n").append(img(p, "maps"));
            }
        }
        Path evalDir = runDir.resolve("eval");
        if (Files.isDirectory(evalDir)) {
            List<Path> results;
            try (Stream<Path> s = Files.list(evalDir)) {
                results = s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
            }
            if (!results.isEmpty()) {
                h.append("<h2>Evaluation</h2>\n");
                for (Path p : results) {
                    JsonObject r = readJson(p);
                    if (r != null && r.has("metrics")) {
                        h.append("<h3>").append(esc(p.getFileName().toString())).append("</h3>\n")
                                .append(table(r.getAsJsonObject("metrics"), "history_epoch_loss_top1_top5"));
                    }
                }
            }
        }
        JsonObject config = readJson(runDir.resolve("config.json"));
        if (config != null) {
            h.append("<h2>Configuration</h2>\n").append(table(flatten(config, ""), null));
        }
        if (summary != null && summary.has("provenance")) {
            h.append("<h2>Provenance</h2>\n").append(table(summary.getAsJsonObject("provenance"), null));
        }
        h.append("</body></html>\n");
        Path out = runDir.resolve("report.html");
        Files.writeString(out, h.toString(), StandardCharsets.UTF_8);
        return out;
    }

    private static JsonObject readJson(Path p) {
        try {
            return Files.exists(p) ? JsonParser.parseString(Files.readString(p, StandardCharsets.UTF_8)).getAsJsonObject()
                    : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Nested sections as dotted keys ({@code optim.blr}), so the table has one row per value. */
    private static JsonObject flatten(JsonObject o, String prefix) {
        JsonObject out = new JsonObject();
        for (Map.Entry<String, JsonElement> e : o.entrySet()) {
            if (e.getValue().isJsonObject()) {
                flatten(e.getValue().getAsJsonObject(), prefix + e.getKey() + ".").entrySet()
                        .forEach(f -> out.add(f.getKey(), f.getValue()));
            } else {
                out.add(prefix + e.getKey(), e.getValue());
            }
        }
        return out;
    }

    private static String table(JsonObject o, String skip) {
        StringBuilder t = new StringBuilder("<table>\n");
        for (Map.Entry<String, JsonElement> e : o.entrySet()) {
            if (e.getKey().equals(skip)) {
                continue;
            }
            JsonElement v = e.getValue();
            String text = v.isJsonPrimitive() ? v.getAsString() : v.isJsonNull() ? "" : v.toString();
            t.append("<tr><th>").append(esc(e.getKey())).append("</th><td>").append(esc(text)).append("</td></tr>\n");
        }
        return t.append("</table>\n").toString();
    }

    private static String img(Path png, String alt) throws IOException {
        return "<div><img alt=\"" + esc(alt) + "\" src=\"data:image/png;base64,"
                + Base64.getEncoder().encodeToString(Files.readAllBytes(png)) + "\"></div>\n";
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
