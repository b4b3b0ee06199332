package semaim.viz;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;

import semaim.model.SemAimModel;

/** Writes the map figure: one PNG per image and an overview with all of them. */
public final class MapWriter {
    private MapWriter() {}

    /** Returns the overview file; per-image files are {@code <name>.png} in {@code dir}. */
    public static Path write(SemAimModel model, SampleImages samples, Path dir, String overviewName, long seed)
            throws IOException {
        Files.createDirectories(dir);
        List<List<BufferedImage>> rows = MapFigure.rows(model, samples.images(), seed);
        for (int i = 0; i < rows.size(); i++) {
            BufferedImage one = Panels.grid(List.of(rows.get(i)), MapFigure.CAPTIONS, null);
            ImageIO.write(one, "png", dir.resolve(samples.names().get(i) + ".png").toFile());
        }
        Path overview = dir.resolve(overviewName);
        ImageIO.write(Panels.grid(rows, MapFigure.CAPTIONS, new ArrayList<>(samples.names())), "png", overview.toFile());
        return overview;
    }
}
