package semaim.viz;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

/** Loss, learning-rate and throughput curves from a run's {@code metrics.jsonl}. */
public final class TrainingCurves {
    private TrainingCurves() {}

    /** Writes loss.png, lr.png and throughput.png into {@code outDir}; returns their paths (empty without data). */
    public static List<Path> write(Path metricsFile, Path outDir) throws IOException {
        List<double[]> loss = new ArrayList<>(), lr = new ArrayList<>(), ips = new ArrayList<>();
        List<double[]> knn = new ArrayList<>();
        if (Files.exists(metricsFile)) {
            for (String line : Files.readAllLines(metricsFile, StandardCharsets.UTF_8)) {
                try {
                    JsonObject o = JsonParser.parseString(line).getAsJsonObject();
                    double step = o.get("step").getAsDouble();
                    if (o.has("knn_top1")) {   // a k-NN monitor's line (pretrain --monitor-knn)
                        knn.add(new double[] {step, o.get("knn_top1").getAsDouble()});
                        continue;
                    }
                    loss.add(new double[] {step, o.get("loss").getAsDouble()});
                    lr.add(new double[] {step, o.get("lr").getAsDouble()});
                    ips.add(new double[] {step, o.get("img_per_s").getAsDouble()});
                } catch (RuntimeException damaged) {
                    // a line cut short by a kill
                }
            }
        }
        List<Path> out = new ArrayList<>();
        if (loss.isEmpty()) {
            return out;
        }
        Path l = outDir.resolve("loss.png"), r = outDir.resolve("lr.png"), t = outDir.resolve("throughput.png");
        Charts.lines(l, "training loss", "step", "loss", one("loss", loss), true, 640, 360);
        Charts.lines(r, "learning rate", "step", "lr", one("lr", lr), false, 640, 360);
        Charts.lines(t, "throughput", "step", "images / s", one("img/s", ips), false, 640, 360);
        out.add(l);
        if (!knn.isEmpty()) {
            Path k = outDir.resolve("knn.png");
            Charts.lines(k, "k-NN monitor (top-1 %, held-out set)", "step", "top-1 %", one("k-NN top-1", knn), false,
                    640, 360);
            out.add(k);
        }
        out.add(r);
        out.add(t);
        return out;
    }

    private static Map<String, List<double[]>> one(String name, List<double[]> points) {
        Map<String, List<double[]>> m = new LinkedHashMap<>();
        m.put(name, points);
        return m;
    }
}
