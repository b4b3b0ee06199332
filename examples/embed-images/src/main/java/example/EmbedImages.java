package example;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import semaim.api.Encoder;

/**
 * Embeds every image of a folder with a pre-trained SemAIM encoder and prints each image's nearest neighbours by
 * cosine similarity.
 *
 * <pre>java -cp ... example.EmbedImages ENCODER FOLDER [K]</pre>
 * ENCODER: a run folder, checkpoint folder or model.safetensors written by semaim; K: neighbours shown (default 3).
 */
public final class EmbedImages {
    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: EmbedImages ENCODER FOLDER [K]");
            System.exit(2);
        }
        Path encoderPath = Path.of(args[0]), folder = Path.of(args[1]);
        int k = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        List<Path> images;
        try (Stream<Path> s = Files.walk(folder)) {
            images = s.filter(p -> p.toString().toLowerCase().matches(".*\\.(jpe?g|png|bmp|gif)")).sorted().toList();
        }
        try (Encoder encoder = Encoder.load(encoderPath)) {
            List<float[]> vectors = encoder.embed(images);
            System.out.printf("%d images, %d values each (%s)%n", images.size(), encoder.length(),
                    encoder.description());
            for (int i = 0; i < images.size(); i++) {
                System.out.println(folder.relativize(images.get(i)) + " -> "
                        + neighbours(vectors, i, k, images, folder));
            }
        }
    }

    /** The k most cosine-similar other images to image i, with their similarity. */
    private static String neighbours(List<float[]> v, int i, int k, List<Path> images, Path folder) {
        List<double[]> sims = new ArrayList<>();
        for (int j = 0; j < v.size(); j++) {
            if (j != i) {
                sims.add(new double[] {cosine(v.get(i), v.get(j)), j});
            }
        }
        sims.sort((a, b) -> Double.compare(b[0], a[0]));
        StringBuilder sb = new StringBuilder();
        for (double[] s : sims.subList(0, Math.min(k, sims.size()))) {
            sb.append(sb.length() == 0 ? "" : ", ").append(folder.relativize(images.get((int) s[1])))
                    .append(String.format(" (%.3f)", s[0]));
        }
        return sb.toString();
    }

    private static double cosine(float[] a, float[] b) {
        double ab = 0, aa = 0, bb = 0;
        for (int d = 0; d < a.length; d++) {
            ab += a[d] * b[d];
            aa += a[d] * a[d];
            bb += b[d] * b[d];
        }
        return ab / Math.sqrt(aa * bb + 1e-12);
    }
}
