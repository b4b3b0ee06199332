package semaim.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import semaim.util.Rng;

/**
 * The labelled splits of a few-label study (SimCLRv2's and MSN's 1% / 10% protocol, with a validation split of its
 * own): a fixed, class-balanced validation split drawn once from the training images, and per seed a class-balanced
 * labelled subset drawn from the rest, so no subset ever holds a validation image and every seed is scored on the
 * same validation images. Balanced means {@code size / classes} of every class (the remainder to the first classes).
 */
public final class LabelSplits {
    private final ImageSource labelled;
    private final int classes;
    private final int[] validation;
    private final List<List<Integer>> restByClass = new ArrayList<>();

    /** Draws the validation split of {@code valSize} images with {@code valSeed} (not a study seed: it stays fixed). */
    public LabelSplits(ImageSource labelled, int valSize, long valSeed) {
        this.labelled = labelled;
        this.classes = Math.max(labelled.classNames().size(), maxLabel(labelled) + 1);
        List<List<Integer>> byClass = shuffledByClass(labelled, classes, valSeed);
        this.validation = take(byClass, valSize, "validation split");
        for (List<Integer> c : byClass) {
            restByClass.add(List.copyOf(c));
        }
    }

    /** The validation split's rows of the labelled images (sorted). */
    public int[] validation() {
        return validation.clone();
    }

    /** A class-balanced subset of {@code size} rows outside the validation split, drawn with {@code seed} (sorted). */
    public int[] subset(int size, long seed) {
        List<List<Integer>> byClass = new ArrayList<>();
        Rng rng = new Rng(seed * 0x9E3779B97F4A7C15L + 17);
        for (List<Integer> c : restByClass) {
            int[] order = rng.permutation(c.size());
            List<Integer> shuffled = new ArrayList<>(c.size());
            for (int o : order) {
                shuffled.add(c.get(o));
            }
            byClass.add(shuffled);
        }
        return take(byClass, size, "labelled subset");
    }

    /** The number of classes. */
    public int classes() {
        return classes;
    }

    /** The labelled images these rows index. */
    public ImageSource images() {
        return labelled;
    }

    private static int maxLabel(ImageSource s) {
        int max = -1;
        for (int i = 0; i < s.size(); i++) {
            if (s.label(i) < 0) {
                throw new IllegalArgumentException(s.description() + " has an unlabelled image (" + s.describe(i)
                        + "): a few-label study needs every training image labelled");
            }
            max = Math.max(max, s.label(i));
        }
        return max;
    }

    private static List<List<Integer>> shuffledByClass(ImageSource s, int classes, long seed) {
        List<List<Integer>> byClass = new ArrayList<>();
        for (int c = 0; c < classes; c++) {
            byClass.add(new ArrayList<>());
        }
        for (int i = 0; i < s.size(); i++) {
            byClass.get(s.label(i)).add(i);
        }
        Rng rng = new Rng(seed);
        for (List<Integer> c : byClass) {
            int[] order = rng.permutation(c.size());
            List<Integer> copy = new ArrayList<>(c);
            for (int k = 0; k < order.length; k++) {
                c.set(k, copy.get(order[k]));
            }
        }
        return byClass;
    }

    /** Removes and returns (sorted) {@code size} rows, balanced over the classes, from the front of each class. */
    private static int[] take(List<List<Integer>> byClass, int size, String what) {
        int classes = byClass.size();
        if (size <= 0) {
            throw new IllegalArgumentException("the " + what + " must hold at least one image, got " + size);
        }
        int[] out = new int[size];
        int k = 0;
        for (int c = 0; c < classes; c++) {
            int want = size / classes + (c < size % classes ? 1 : 0);
            List<Integer> rows = byClass.get(c);
            if (rows.size() < want) {
                throw new IllegalArgumentException("the " + what + " of " + size + " images needs " + want
                        + " of class " + c + ", which has only " + rows.size() + " left");
            }
            for (int i = 0; i < want; i++) {
                out[k++] = rows.get(i);
            }
            rows.subList(0, want).clear();
        }
        Arrays.sort(out);
        return out;
    }
}
