package semaim.data;

import java.io.IOException;
import java.util.List;

/** Some images of another source, by position: its first {@code n}, or any listed rows (a labelled split). */
public final class Subset implements ImageSource {
    private final ImageSource base;
    private final int[] rows;   // null: the first n
    private final int n;
    private final String what;

    public Subset(ImageSource base, int n) {
        this.base = base;
        this.rows = null;
        this.n = Math.min(n, base.size());
        this.what = "first " + this.n;
    }

    private Subset(ImageSource base, int[] rows, String what) {
        this.base = base;
        this.rows = rows.clone();
        this.n = rows.length;
        this.what = what;
        for (int r : rows) {
            if (r < 0 || r >= base.size()) {
                throw new IllegalArgumentException("row " + r + " is outside " + base.description() + " (0.."
                        + (base.size() - 1) + ")");
            }
        }
    }

    /** {@code base} itself when {@code n} is 0 or covers it. */
    public static ImageSource of(ImageSource base, int n) {
        return n <= 0 || n >= base.size() ? base : new Subset(base, n);
    }

    /** The images at {@code rows} of {@code base}, in that order; {@code what} names them ("600 labelled"). */
    public static ImageSource rows(ImageSource base, int[] rows, String what) {
        return new Subset(base, rows, what);
    }

    private int row(int index) {
        if (index < 0 || index >= n) {
            throw new IndexOutOfBoundsException("image " + index + " of " + n);
        }
        return rows == null ? index : rows[index];
    }

    @Override
    public int size() {
        return n;
    }

    @Override
    public int channels() {
        return base.channels();
    }

    @Override
    public DecodedImage load(int index) throws IOException {
        return base.load(row(index));
    }

    @Override
    public int label(int index) {
        return base.label(row(index));
    }

    @Override
    public List<String> classNames() {
        return base.classNames();
    }

    @Override
    public String describe(int index) {
        return base.describe(row(index));
    }

    @Override
    public String description() {
        return what + " of " + base.description();
    }
}
