package semaim.viz;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;

import semaim.model.SemAimModel;
import semaim.model.Teacher;

/** Writes the map figure: one PNG per image and an overview with all of them. */
public final class MapWriter {
    private MapWriter() {}

    /** Returns the overview file; per-image files are {@code <name>.png} in {@code dir}. */
    public static Path write(SemAimModel model, SampleImages samples, Path dir, String overviewName, long seed)
            throws IOException {
        return write(model, null, samples, dir, overviewName, seed);
    }

    /** As above, with the teacher of a feature target (null without one): its similarity map is drawn too. */
    public static Path write(SemAimModel model, Teacher teacher, SampleImages samples, Path dir, String overviewName,
            long seed) throws IOException {
        return write(model, teacher, null, samples, dir, overviewName, seed);
    }

    /** As above, with a segmenter's predicted masks as the last panel of each row ({@code masks} may be null). */
    public static Path write(SemAimModel model, Teacher teacher, MapFigure.Masks masks, SampleImages samples, Path dir,
            String overviewName, long seed) throws IOException {
        Files.createDirectories(dir);
        List<List<BufferedImage>> rows = MapFigure.rows(model, samples.images(), seed, teacher, masks);
        List<String> captions = MapFigure.captions(model, teacher, masks);
        for (int i = 0; i < rows.size(); i++) {
            BufferedImage one = Panels.grid(List.of(rows.get(i)), captions, null);
            ImageIO.write(one, "png", dir.resolve(samples.names().get(i) + ".png").toFile());
        }
        Path overview = dir.resolve(overviewName);
        ImageIO.write(Panels.grid(rows, captions, new ArrayList<>(samples.names())), "png", overview.toFile());
        return overview;
    }
}
