package example;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import javax.imageio.ImageIO;

/**
 * Writes a small folder of demo pictures to embed when none is at hand: circles, squares and stripes at random
 * sizes and positions, one subfolder per shape, as PNGs. {@code java -cp ... example.MakeShapes FOLDER [PER_SHAPE]}
 */
public final class MakeShapes {
    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        int perShape = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        Random rnd = new Random(7);
        for (String shape : new String[] {"circle", "square", "stripes"}) {
            Files.createDirectories(out.resolve(shape));
            for (int i = 0; i < perShape; i++) {
                BufferedImage im = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
                Graphics2D g = im.createGraphics();
                g.setColor(new Color(20 + rnd.nextInt(40), 20 + rnd.nextInt(40), 20 + rnd.nextInt(40)));
                g.fillRect(0, 0, 64, 64);
                g.setColor(new Color(180 + rnd.nextInt(70), 180 + rnd.nextInt(70), 180 + rnd.nextInt(70)));
                int s = 24 + rnd.nextInt(20), x = rnd.nextInt(64 - s), y = rnd.nextInt(64 - s);
                switch (shape) {
                    case "circle" -> g.fillOval(x, y, s, s);
                    case "square" -> g.fillRect(x, y, s, s);
                    default -> {
                        g.setStroke(new BasicStroke(3));
                        for (int k = 0; k < 64; k += 8) {
                            g.drawLine(k, 0, k, 63);
                        }
                    }
                }
                g.dispose();
                ImageIO.write(im, "png", out.resolve(shape).resolve(shape + "-" + i + ".png").toFile());
            }
        }
        System.out.println("wrote " + 3 * perShape + " pictures to " + out);
    }
}
