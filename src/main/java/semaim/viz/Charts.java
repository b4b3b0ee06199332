package semaim.viz;

import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** PNG charts through JFreeChart, rendered headless. */
public final class Charts {
    static {
        System.setProperty("java.awt.headless", "true");
    }

    private Charts() {}

    /**
     * A grouped bar chart: {@code values.get(series).get(category)}; written as a {@code width x height} PNG.
     */
    public static void bars(Path file, String title, String valueAxis, Map<String, Map<String, Double>> values,
            int width, int height) throws IOException {
        DefaultCategoryDataset ds = new DefaultCategoryDataset();
        values.forEach((series, row) -> row.forEach((category, v) -> ds.addValue(v, series, category)));
        JFreeChart chart = ChartFactory.createBarChart(title, null, valueAxis, ds, PlotOrientation.VERTICAL, true,
                false, false);
        style(chart);
        save(file, chart, width, height);
    }

    /** Line chart of named series of (x, y) points. */
    public static void lines(Path file, String title, String xAxis, String yAxis, Map<String, List<double[]>> series,
            boolean logY, int width, int height) throws IOException {
        XYSeriesCollection ds = new XYSeriesCollection();
        series.forEach((name, points) -> {
            XYSeries s = new XYSeries(name);
            for (double[] p : points) {
                if (!logY || p[1] > 0) {
                    s.add(p[0], p[1]);
                }
            }
            ds.addSeries(s);
        });
        JFreeChart chart = ChartFactory.createXYLineChart(title, xAxis, yAxis, ds, PlotOrientation.VERTICAL,
                series.size() > 1, false, false);
        if (logY) {
            org.jfree.chart.axis.LogAxis axis = new org.jfree.chart.axis.LogAxis(yAxis);
            axis.setSmallestValue(1e-12);
            axis.setNumberFormatOverride(new java.text.DecimalFormat("0.0##"));
            chart.getXYPlot().setRangeAxis(axis);
        }
        style(chart);
        save(file, chart, width, height);
    }

    private static void style(JFreeChart chart) {
        chart.setBackgroundPaint(Color.WHITE);
        chart.getPlot().setBackgroundPaint(new Color(248, 248, 248));
        if (chart.getTitle() != null) {
            chart.getTitle().setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        }
    }

    private static void save(Path file, JFreeChart chart, int width, int height) throws IOException {
        if (file.toAbsolutePath().getParent() != null) {
            Files.createDirectories(file.toAbsolutePath().getParent());
        }
        ChartUtils.saveChartAsPNG(file.toFile(), chart, width, height);
    }
}
