package semaim.data;

/**
 * A source read as a stream, WebDataset's way, rather than by a global permutation: each epoch the shards are
 * shuffled from the seed, rank r of W reads shards r, r + W, r + 2W, ... (disjoint), one after another, and a
 * shuffle buffer mixes the samples inside. The result is still a deterministic function of (seed, epoch, rank), so
 * a batch is found again by its number, and resume stays exact.
 */
public interface ShardOrder extends ImageSource {
    /** The source indices rank {@code rank} of {@code worldSize} reads in {@code epoch}, in order. */
    int[] order(int epoch, long seed, int rank, int worldSize);

    /** Samples every rank can read in an epoch: the smallest rank's share (all ranks take the same batches). */
    int samplesPerRank(int worldSize);
}
