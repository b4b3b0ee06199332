package semaim.viz;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.List;

/** Boxes drawn over an image panel: an outline in the box's colour and, above it, its label on that colour. */
public final class BoxPanels {
    /** A box in the image's pixels (x0, y0, x1, y1), its colour (RGB in [0, 1]) and label (null: none). */
    public record Box(double x0, double y0, double x1, double y1, float[] rgb, String label) {}

    private BoxPanels() {}

    /**
     * An image (CHW in [0, 1], {@code width} x {@code height}) fitted into a white {@code cell} x {@code cell} panel
     * (aspect kept, top-left), with {@code boxes} drawn over it.
     */
    public static BufferedImage draw(float[] chw, int channels, int width, int height, int cell, List<Box> boxes) {
        BufferedImage picture = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int plane = width * height;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int i = y * width + x;
                float r = chw[i], g = channels == 3 ? chw[plane + i] : r, b = channels == 3 ? chw[2 * plane + i] : r;
                picture.setRGB(x, y, new Color(clamp(r), clamp(g), clamp(b)).getRGB());
            }
        }
        double scale = cell / (double) Math.max(width, height);
        BufferedImage out = new BufferedImage(cell, cell, BufferedImage.TYPE_INT_RGB);
        Graphics2D p = out.createGraphics();
        p.setColor(Color.WHITE);
        p.fillRect(0, 0, cell, cell);
        p.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
        p.drawImage(picture, 0, 0, (int) Math.round(width * scale), (int) Math.round(height * scale), null);
        p.dispose();
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setStroke(new BasicStroke(2f));
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
        for (Box box : boxes) {
            Color c = new Color(clamp(box.rgb()[0]), clamp(box.rgb()[1]), clamp(box.rgb()[2]));
            int x0 = (int) Math.round(box.x0() * scale), y0 = (int) Math.round(box.y0() * scale);
            int w = (int) Math.round((box.x1() - box.x0()) * scale), h = (int) Math.round((box.y1() - box.y0()) * scale);
            g.setColor(c);
            g.drawRect(x0, y0, Math.max(1, w), Math.max(1, h));
            if (box.label() != null) {
                int tw = g.getFontMetrics().stringWidth(box.label()), ty = Math.max(10, y0);
                g.fillRect(x0, ty - 10, tw + 4, 11);
                g.setColor(Color.BLACK);
                g.drawString(box.label(), x0 + 2, ty - 1);
            }
        }
        g.dispose();
        return out;
    }

    private static float clamp(float v) {
        return Math.max(0f, Math.min(1f, v));
    }
}
