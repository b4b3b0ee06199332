package semaim.ablation;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The table of a few-label study folder ({@link FewLabels}): per fraction and arm, the held-out top-1 over the
 * seeds done as mean ± sd [min-max] (n), and per seed the fine-tune's gain over scratch. Written as
 * {@code few-labels.md} and {@code few-labels.csv}; cells still missing are simply not counted.
 */
public final class FewLabelsTable {
    private FewLabelsTable() {}

    /** Top-1 by fraction, then arm, then seed. */
    static Map<Double, Map<String, Map<Long, Double>>> read(Path output) throws IOException {
        Map<Double, Map<String, Map<Long, Double>>> t = new TreeMap<>();
        if (!Files.isDirectory(output)) {
            return t;
        }
        try (Stream<Path> files = Files.walk(output, 3)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList()) {
                Map<String, Object> row = FewLabels.done(f);
                if (row == null || !row.containsKey("arm")) {
                    continue;
                }
                t.computeIfAbsent(((Number) row.get("fraction")).doubleValue(), k -> new TreeMap<>())
                        .computeIfAbsent((String) row.get("arm"), k -> new TreeMap<>())
                        .put(((Number) row.get("seed")).longValue(), ((Number) row.get("top1")).doubleValue());
            }
        }
        return t;
    }

    /** Writes few-labels.md and few-labels.csv into {@code output}; returns the Markdown. */
    public static String write(Path output, String title) throws IOException {
        Map<Double, Map<String, Map<Long, Double>>> t = read(output);
        StringBuilder md = new StringBuilder("# " + title + "\n\n"
                + "Held-out top-1 (%), mean ± sd [min-max] over the seeds (n).\n\n"
                + "| labels | arm | top-1 | seeds |\n|---|---|---|---|\n");
        StringBuilder csv = new StringBuilder("fraction,arm,seed,top1\n");
        for (var byFraction : t.entrySet()) {
            String pct = FewLabels.percent(byFraction.getKey()) + "%";
            for (String arm : order(byFraction.getValue().keySet())) {
                Map<Long, Double> seeds = byFraction.getValue().get(arm);
                md.append("| ").append(pct).append(" | ").append(arm).append(" | ").append(stats(seeds.values()))
                        .append(" | ").append(seeds.keySet()).append(" |\n");
                seeds.forEach((seed, top1) -> csv.append(byFraction.getKey()).append(',').append(arm).append(',')
                        .append(seed).append(',').append(top1).append('\n'));
            }
            Map<Long, Double> ft = byFraction.getValue().get("finetune"), sc = byFraction.getValue().get("scratch");
            if (ft != null && sc != null) {
                List<Double> gains = new ArrayList<>();
                ft.forEach((seed, v) -> {
                    if (sc.containsKey(seed)) {
                        gains.add(v - sc.get(seed));
                    }
                });
                if (!gains.isEmpty()) {
                    md.append("| ").append(pct).append(" | **finetune - scratch** (per seed) | **")
                            .append(stats(gains)).append("** | ").append(gains.size()).append(" |\n");
                }
            }
        }
        Files.createDirectories(output);
        Files.writeString(output.resolve("few-labels.md"), md.toString(), StandardCharsets.UTF_8);
        Files.writeString(output.resolve("few-labels.csv"), csv.toString(), StandardCharsets.UTF_8);
        return md.toString();
    }

    private static List<String> order(java.util.Set<String> arms) {
        List<String> out = new ArrayList<>();
        FewLabels.ARMS.stream().filter(arms::contains).forEach(out::add);
        arms.stream().filter(a -> !out.contains(a)).sorted().forEach(out::add);
        return out;
    }

    /** "mean ± sd [min-max] (n)", sd over n - 1; one value: just it. */
    static String stats(java.util.Collection<Double> values) {
        int n = values.size();
        double mean = values.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        if (n == 1) {
            return String.format(Locale.ROOT, "%.2f (1)", mean);
        }
        double ss = values.stream().mapToDouble(v -> (v - mean) * (v - mean)).sum();
        double min = values.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
        double max = values.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
        return String.format(Locale.ROOT, "%.2f ± %.2f [%.2f-%.2f] (%d)", mean, Math.sqrt(ss / (n - 1)), min, max, n);
    }
}
