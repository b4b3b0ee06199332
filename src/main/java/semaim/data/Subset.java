package semaim.data;

import java.io.IOException;
import java.util.List;

/** The first {@code n} images of another source (for quick evaluations on part of a dataset). */
public final class Subset implements ImageSource {
    private final ImageSource base;
    private final int n;

    public Subset(ImageSource base, int n) {
        this.base = base;
        this.n = Math.min(n, base.size());
    }

    /** {@code base} itself when {@code n} is 0 or covers it. */
    public static ImageSource of(ImageSource base, int n) {
        return n <= 0 || n >= base.size() ? base : new Subset(base, n);
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
        return base.load(index);
    }

    @Override
    public int label(int index) {
        return base.label(index);
    }

    @Override
    public List<String> classNames() {
        return base.classNames();
    }

    @Override
    public String describe(int index) {
        return base.describe(index);
    }

    @Override
    public String description() {
        return "first " + n + " of " + base.description();
    }
}
