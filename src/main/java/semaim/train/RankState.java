package semaim.train;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import semaim.torch.Tensors;

/**
 * One rank's random state as one row of integers, so that rank 0 can gather every rank's into its checkpoint with
 * a single collective: {@code [order generator, libtorch generator bytes...]} (the byte state widened to int64;
 * its length is the same on every rank of a run).
 */
final class RankState {
    private RankState() {}

    static long[] pack(long orderRng, Tensor torchRngState) {
        long[] bytes = Tensors.toLongs(torchRngState.to(torch.ScalarType.Long));
        long[] row = new long[bytes.length + 1];
        row[0] = orderRng;
        System.arraycopy(bytes, 0, row, 1, bytes.length);
        return row;
    }

    static long orderRng(long[] row) {
        return row[0];
    }

    /** The libtorch generator state of {@code row}, as the uint8 tensor the generator takes back. */
    static Tensor torchRng(long[] row) {
        long[] bytes = java.util.Arrays.copyOfRange(row, 1, row.length);
        return Tensors.int64s(bytes, bytes.length).to(torch.ScalarType.Byte);
    }
}
