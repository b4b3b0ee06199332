package semaim.viz;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import javax.imageio.ImageIO;

import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** The step's cost against the patch grid and the width: a Markdown table and a two-panel PNG. */
public final class CostCurve {
    static {
        System.setProperty("java.awt.headless", "true");
    }

    private CostCurve() {}

    /**
     * One measured point of a sweep.
     *
     * @param sweep "grid" or "width"; {@code x} is the grid side or the width
     */
    public record Point(String sweep, int x, int grid, int width, long params, double flopsPerImage,
            double stepSeconds, double imagesPerSecond, double gflops, double mfu, double peakRssMb) {}

    /** The table's header and one row per point, grid sweep first. */
    public static String table(List<Point> grid, List<Point> width) {
        StringBuilder sb = new StringBuilder();
        sb.append("| sweep | grid | tokens | width | params | GFLOP/image | median step s | img/s | GFLOPS | MFU"
                + " | peak RSS MB |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (List<Point> sweep : List.of(grid, width)) {
            for (Point p : sweep) {
                sb.append(row(p)).append('\n');
            }
        }
        return sb.toString();
    }

    /** One table row. */
    public static String row(Point p) {
        return String.format(Locale.ROOT, "| %s | %dx%d | %d | %d | %.2fM | %.2f | %.2f | %.1f | %.1f | %.3f | %.0f |",
                p.sweep(), p.grid(), p.grid(), p.grid() * p.grid() + 1, p.width(), p.params() / 1e6,
                p.flopsPerImage() / 1e9, p.stepSeconds(), p.imagesPerSecond(), p.gflops(), p.mfu(), p.peakRssMb());
    }

    /** Two panels side by side: step time and peak RSS against the grid, and against the width. */
    public static void png(Path file, String title, List<Point> grid, List<Point> width) throws IOException {
        int w = 560, h = 400;
        BufferedImage image = new BufferedImage(2 * w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            panel("step cost vs patch grid (" + title + ")", "patch grid side (tokens = side^2 + 1)", grid)
                    .draw(g, new java.awt.Rectangle(0, 0, w, h));
            panel("step cost vs width (" + title + ")", "width (heads of 32)", width)
                    .draw(g, new java.awt.Rectangle(w, 0, w, h));
        } finally {
            g.dispose();
        }
        if (file.toAbsolutePath().getParent() != null) {
            Files.createDirectories(file.toAbsolutePath().getParent());
        }
        ImageIO.write(image, "png", file.toFile());
    }

    /** Step time (left axis, log) and peak RSS (right axis, log) against x. */
    private static JFreeChart panel(String title, String xLabel, List<Point> points) {
        XYSeries time = new XYSeries("median step time (s)");
        XYSeries rss = new XYSeries("peak RSS (GB)");
        for (Point p : points) {
            time.add(p.x(), p.stepSeconds());
            rss.add(p.x(), p.peakRssMb() / 1024.0);
        }
        XYPlot plot = new XYPlot();
        plot.setDomainAxis(new NumberAxis(xLabel));
        plot.setDataset(0, new XYSeriesCollection(time));
        plot.setDataset(1, new XYSeriesCollection(rss));
        plot.setRangeAxis(0, logAxis("step time (s)"));
        plot.setRangeAxis(1, logAxis("peak RSS (GB)"));
        plot.mapDatasetToRangeAxis(0, 0);
        plot.mapDatasetToRangeAxis(1, 1);
        plot.setRenderer(0, renderer(new Color(31, 119, 180)));
        plot.setRenderer(1, renderer(new Color(214, 39, 40)));
        plot.setBackgroundPaint(new Color(248, 248, 248));
        JFreeChart chart = new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 13), plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }

    private static LogAxis logAxis(String label) {
        LogAxis axis = new LogAxis(label);
        axis.setSmallestValue(1e-3);
        axis.setNumberFormatOverride(new java.text.DecimalFormat("0.0##"));
        return axis;
    }

    private static XYLineAndShapeRenderer renderer(Color color) {
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, true);
        r.setSeriesPaint(0, color);
        r.setSeriesStroke(0, new BasicStroke(2f));
        return r;
    }
}
