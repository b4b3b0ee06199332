/**
 * semaim's Java API: what a JVM program depends on to use SemAIM without the command line.
 * <ul>
 *   <li>{@link semaim.api.Encoder}: open a pre-trained encoder and embed images ({@code BufferedImage}, files,
 *       arrays, streamed folders), pooled as {@link semaim.api.Pooling} says;</li>
 *   <li>{@link semaim.api.Pretraining}: configure, run, stop and resume a pre-training run;</li>
 *   <li>{@link semaim.api.Probes}: k-NN and linear-probe accuracy of embeddings a program holds.</li>
 * </ul>
 * The command line ({@code semaim embed}, {@code knn}, {@code linprobe}) runs the same code. Everything outside this
 * package (and the configuration records of {@code semaim.train.PretrainConfig} that {@link
 * semaim.api.Pretraining#configure} exposes) is internal and may change.
 * <pre>{@code
 * try (Encoder encoder = Encoder.load(Path.of("runs/my-run"))) {
 *     float[] v = encoder.embed(ImageIO.read(new File("cat.jpg")));
 * }
 * }</pre>
 */
package semaim.api;
