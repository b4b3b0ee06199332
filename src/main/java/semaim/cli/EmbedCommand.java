package semaim.cli;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import semaim.api.Encoder;
import semaim.api.Pooling;
import semaim.data.Datasets;
import semaim.data.ImageSource;
import semaim.io.ArrayFile;

/**
 * {@code semaim embed}: one vector per image (or its grid of patch vectors) from a frozen encoder, streamed to a
 * {@code .npy} or {@code .safetensors} file with a CSV index. Memory stays bounded by the batch; the output grows
 * under {@code FILE.part} and is renamed when complete, so a stopped run continues where it stopped.
 */
@Command(name = "embed", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write the encoder's features of every image: --pool cls (the CLS token after the final norm),"
                + " mean (the mean of the patch tokens, then the final fc_norm), concat (the mean patch tokens of the"
                + " last 4 blocks, each standardised, concatenated) or patches (every patch token after the final norm:"
                + " N x patches x width). FILE.npy is NumPy's format, FILE.safetensors holds one tensor 'embeddings'; FILE.csv lists"
                + " index, file, label and class of each row (labels from class subfolders or IDX labels, else -1)."},
        footer = {"", "Example: semaim embed --checkpoint runs/my-run --images photos/ --output photos.npy",
            "A stopped run continues when the same command is run again (FILE.part and FILE.csv.part hold the rows so"
                    + " far)."})
public final class EmbedCommand implements CommandErrors.Command {
    private static final Logger LOG = LoggerFactory.getLogger("semaim");

    @Option(names = "--checkpoint", paramLabel = "PATH",
            description = "Pre-training checkpoint folder, run folder or model .safetensors (default: a random encoder of --model).")
    Path checkpoint;

    @Option(names = "--model", defaultValue = "vit_nano_patch4_28", description = "Preset of a random encoder. Default: ${DEFAULT-VALUE}.")
    String model;

    @Option(names = "--images", required = true, paramLabel = "DIR_OR_IDX",
            description = "An image folder (class subfolders give labels) or an IDX image file.")
    String images;

    @Option(names = "--channels", defaultValue = "3", description = "1 or 3 for image folders. Default: ${DEFAULT-VALUE}.")
    int channels;

    @Option(names = "--output", required = true, paramLabel = "FILE", description = "FILE.npy or FILE.safetensors.")
    Path output;

    @Option(names = "--pool", defaultValue = "cls", converter = PoolingConverter.class,
            description = "cls, mean, concat or patches. Default: ${DEFAULT-VALUE}.")
    Pooling pool;

    @Option(names = "--batch-size", defaultValue = "256") int batchSize;
    @Option(names = "--device", defaultValue = "cpu") String device;
    @Option(names = "--precision", defaultValue = "fp32", description = "fp32, bf16, fp16 or auto. Default: ${DEFAULT-VALUE}.") String precision;
    @Option(names = "--seed", defaultValue = "0", description = "Seed of a random encoder.") long seed;

    @Option(names = "--overwrite",
            description = "Start over, discarding an unfinished FILE.part that another encoder, pooling, image list or transform began.")
    boolean overwrite;

    @Override
    public Integer call() {
        return CommandErrors.guard("embed", this::execute);
    }

    private int execute() throws IOException {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("--batch-size must be positive, got " + batchSize);
        }
        Path csv = csvOf(output);
        ArrayFile.header(output.getFileName().toString(), new long[] {1, 1}, Map.of());   // fails early on a bad name
        try (Encoder encoder = openEncoder()) {
            ImageSource images = Datasets.open(this.images, encoder.channels());
            int n = images.size();
            long[] shape = new long[encoder.shape().length + 1];
            shape[0] = n;
            System.arraycopy(encoder.shape(), 0, shape, 1, shape.length - 1);
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("encoder", encoder.description());
            meta.put("images", images.description());
            meta.put("pool", pool.label());
            Path part = output.resolveSibling(output.getFileName() + ".part");
            Path csvPart = csv.resolveSibling(csv.getFileName() + ".part");
            Path record = output.resolveSibling(output.getFileName() + ".part.json");
            claimPart(part, csvPart, record, producer(encoder, images, shape));
            int done = rowsToKeep(part, csvPart, shape, meta, n);
            try (ArrayFile out = ArrayFile.open(part, shape, meta, done);
                    BufferedWriter index = Files.newBufferedWriter(csvPart, StandardCharsets.UTF_8,
                            StandardOpenOption.APPEND);
                    Bar bar = new Bar("embed", n)) {
                encoder.embed(images, done, b -> {
                    out.append(b.embeddings());
                    writeIndex(index, images, b.start(), b.count());
                    bar.stepTo(b.start() + b.count(), null);
                });
            }
            Files.move(part, output, StandardCopyOption.REPLACE_EXISTING);
            Files.move(csvPart, csv, StandardCopyOption.REPLACE_EXISTING);
            Files.deleteIfExists(record);
            LOG.info("wrote {} embeddings of shape {} to {} (index {})", n,
                    java.util.Arrays.toString(encoder.shape()), output, csv);
        }
        return ExitCodes.OK;
    }

    /** The index rows of images {@code start .. start + count - 1}: index, file, label, class. */
    private static void writeIndex(BufferedWriter index, ImageSource images, int start, int count)
            throws IOException {
        for (int i = start; i < start + count; i++) {
            int label = images.label(i);
            String cls = label >= 0 && label < images.classNames().size() ? images.classNames().get(label) : "";
            index.write(i + "," + csvField(images.describe(i)) + "," + label + "," + csvField(cls));
            index.newLine();
        }
        index.flush();
    }

    /** The checkpoint's encoder, or a random one of --model; through the Java API, as a library user opens it. */
    private Encoder openEncoder() throws IOException {
        Encoder.Options o = Encoder.Options.defaults().withPooling(pool).withDevice(device)
                .withPrecision(precision).withBatchSize(batchSize);
        return checkpoint != null ? Encoder.load(checkpoint, o) : Encoder.random(model, channels, seed, o);
    }

    /** Everything the rows depend on: what FILE.part.json records, and a continuation must match. */
    private Map<String, String> producer(Encoder encoder, ImageSource images, long[] shape) {
        Map<String, String> producer = new LinkedHashMap<>();
        producer.put("encoder", encoder.id());
        producer.put("pool", pool.label());
        producer.put("images", images.description());
        producer.put("image_list_sha256", imageListSha256(images));
        producer.put("transform", "resize to " + encoder.imageSize() + " px, " + encoder.channels()
                + " channel(s), default mean/std");
        producer.put("precision", encoder.precision());
        producer.put("batch_size", Integer.toString(batchSize));   // the batch's make-up moves the last bits
        producer.put("shape", java.util.Arrays.toString(shape));
        return producer;
    }

    /**
     * Makes {@code part} this command's: a partial output continues only when the record beside it says the same
     * encoder (its SHA-256), pooling, image list, transform and precision produced it; otherwise rows from two
     * encoders would end up in one file. With --overwrite, or when there is no partial output, the record is
     * (re)written before the first row.
     */
    private void claimPart(Path part, Path csvPart, Path record, Map<String, String> producer) throws IOException {
        Path folder = output.toAbsolutePath().getParent();
        Files.createDirectories(folder);
        if (Files.exists(part) && !overwrite) {
            String diff = "it has no record of what produced it (" + record.getFileName() + ")";
            if (Files.isRegularFile(record)) {
                Map<?, ?> was = semaim.io.Json.fromJson(Files.readString(record, StandardCharsets.UTF_8), Map.class);
                List<String> changed = new ArrayList<>();
                producer.forEach((k, v) -> {
                    if (was == null || !v.equals(was.get(k))) {
                        changed.add(k + " " + (was == null ? null : was.get(k)) + " -> " + v);
                    }
                });
                if (changed.isEmpty()) {
                    return;   // the same command: continue after its last complete row
                }
                diff = "it was started with another " + String.join("; ", changed);
            }
            throw new IllegalArgumentException("cannot continue " + part + ": " + diff + ". Run with --overwrite to"
                    + " start over (or delete " + part.getFileName() + ", " + csvPart.getFileName() + " and "
                    + record.getFileName() + ")");
        }
        try {
            Files.deleteIfExists(part);
            Files.deleteIfExists(csvPart);
            Files.writeString(record, semaim.io.Json.toJson(producer), StandardCharsets.UTF_8);
        } catch (IOException e) {
            // e.g. /proc/x.npy: the folder exists, but no file can be made in it ("x.npy.part does not exist")
            throw new IOException("cannot write into the folder " + folder + " (" + IoMessages.describe(e)
                    + "): choose another --output", e);
        }
    }

    /**
     * How many rows of an unfinished output to keep: the complete rows present in both FILE.part and its CSV, down
     * to a whole number of batches, so that the rows computed next come in the same batches as in a run that never
     * stopped (and the file is byte-identical to one). The CSV is cut to match.
     */
    private int rowsToKeep(Path part, Path csvPart, long[] shape, Map<String, String> meta, int n)
            throws IOException {
        List<String> csvLines = Files.exists(csvPart) ? Files.readAllLines(csvPart, StandardCharsets.UTF_8)
                : List.of();
        long csvRows = Math.max(0, csvLines.size() - 1);
        int done;
        try (ArrayFile first = ArrayFile.open(part, shape, meta, Math.min(csvRows, n))) {
            done = (int) first.rows() / batchSize * batchSize;
        }
        List<String> keep = new ArrayList<>(csvLines.subList(0, csvLines.isEmpty() ? 0 : done + 1));
        if (keep.isEmpty()) {
            keep.add("index,file,label,class");
        }
        Files.write(csvPart, keep, StandardCharsets.UTF_8);
        if (done > 0) {
            LOG.info("continuing {} after {} of {} images", part, done, n);
        }
        return done;
    }

    /** SHA-256 of the image list (each image's name, in order): which images the rows are of. */
    private static String imageListSha256(ImageSource images) {
        try {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            for (int i = 0; i < images.size(); i++) {
                md.update((images.describe(i) + "\n").getBytes(StandardCharsets.UTF_8));
            }
            return java.util.HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static Path csvOf(Path out) {
        String name = out.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return out.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + ".csv");
    }

    private static String csvField(String v) {
        return v.contains(",") || v.contains("\"") || v.contains("\n") ? "\"" + v.replace("\"", "\"\"") + "\"" : v;
    }
}
