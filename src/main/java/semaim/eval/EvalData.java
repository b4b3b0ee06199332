package semaim.eval;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import semaim.data.DataException;
import semaim.data.Datasets;
import semaim.data.FashionMnist;
import semaim.data.ImageSource;
import semaim.data.Subset;

/**
 * A labelled train/test pair for evaluation: a folder with {@code train/} and {@code val/} (or {@code test/})
 * image folders, explicit {@code --train}/{@code --test} paths (IDX files or image folders), or, by default, the
 * embedded Fashion-MNIST subsets (4,000 train / 1,000 test).
 */
public record EvalData(ImageSource train, ImageSource test) {

    public static EvalData open(String data, String train, String test, int channels, int trainLimit, int testLimit)
            throws IOException {
        ImageSource tr, te;
        if (train != null || test != null) {
            if (train == null || test == null) {
                throw new DataException("give both --train and --test");
            }
            tr = Datasets.open(train, channels);
            te = Datasets.open(test, channels);
        } else if (data != null) {
            Path root = Path.of(data);
            Path val = Files.isDirectory(root.resolve("val")) ? root.resolve("val") : root.resolve("test");
            if (!Files.isDirectory(root.resolve("train")) || !Files.isDirectory(val)) {
                throw new DataException(root + " needs train/ and val/ (or test/) subfolders of class folders");
            }
            tr = Datasets.open(root.resolve("train").toString(), channels);
            te = Datasets.open(val.toString(), channels);
        } else {
            tr = FashionMnist.embeddedTrain();
            te = FashionMnist.embeddedTest();
        }
        if (tr.label(0) < 0 || te.label(0) < 0) {
            throw new DataException("evaluation needs labels: " + (tr.label(0) < 0 ? tr : te).description()
                    + " has none (use class subfolders or an IDX label file)");
        }
        return new EvalData(Subset.of(tr, trainLimit), Subset.of(te, testLimit));
    }
}
