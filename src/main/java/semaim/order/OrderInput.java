package semaim.order;

/**
 * What an order is computed from: the patch grid and, for similarity-driven orders, the map S of each image.
 *
 * @param batch       number of images B
 * @param gridH       patch rows
 * @param gridW       patch columns
 * @param similarity  S per image, {@code [B][gridH*gridW]} row-major, or null for orders that do not need it
 */
public record OrderInput(int batch, int gridH, int gridW, float[][] similarity) {
    public OrderInput {
        if (batch <= 0 || gridH <= 0 || gridW <= 0) {
            throw new IllegalArgumentException("batch and grid must be positive: " + batch + ", " + gridH + "x"
                    + gridW);
        }
        if (similarity != null) {
            if (similarity.length != batch) {
                throw new IllegalArgumentException("similarity has " + similarity.length + " rows for batch "
                        + batch);
            }
            for (float[] s : similarity) {
                if (s.length != gridH * gridW) {
                    throw new IllegalArgumentException("similarity row has " + s.length + " values for a "
                            + gridH + "x" + gridW + " grid");
                }
            }
        }
    }

    /** For orders that use only the grid. */
    public static OrderInput grid(int batch, int gridH, int gridW) {
        return new OrderInput(batch, gridH, gridW, null);
    }

    public int numPatches() {
        return gridH * gridW;
    }

    float[] similarityOf(int image, String orderName) {
        if (similarity == null) {
            throw new IllegalArgumentException("the " + orderName + " order needs a similarity map");
        }
        return similarity[image];
    }
}
