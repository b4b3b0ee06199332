package semaim.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

class LabelSplitsTest {
    /** 1,000 labelled "images", 10 classes of uneven sizes (label = index % 10, then class 9 thinned). */
    static ImageSource labels(int n) {
        return new ImageSource() {
            public int size() { return n; }
            public int channels() { return 1; }
            public DecodedImage load(int index) { throw new UnsupportedOperationException(); }
            public int label(int index) { return index % 10 == 9 && index % 20 != 9 ? 8 : index % 10; }
            public List<String> classNames() { return List.of(); }
            public String describe(int index) { return "#" + index; }
            public String description() { return n + " labels"; }
        };
    }

    private static int[] perClass(ImageSource s, int[] rows) {
        int[] c = new int[10];
        for (int r : rows) {
            c[s.label(r)]++;
        }
        return c;
    }

    @Test
    void validationIsFixedAndSubsetsAreBalancedDisjointAndSeeded() {
        ImageSource s = labels(1000);
        LabelSplits a = new LabelSplits(s, 100, 0), b = new LabelSplits(s, 100, 0);
        assertArrayEquals(a.validation(), b.validation(), "the validation split depends on its own seed only");
        int[] ten = new int[10];
        Arrays.fill(ten, 10);
        assertArrayEquals(ten, perClass(s, a.validation()), "10 of each class");
        Set<Integer> val = new HashSet<>();
        Arrays.stream(a.validation()).forEach(val::add);
        int[] s0 = a.subset(50, 0), s0again = b.subset(50, 0), s1 = a.subset(50, 1);
        assertArrayEquals(s0, s0again, "a seed draws the same subset");
        assertFalse(Arrays.equals(s0, s1), "another seed another subset");
        int[] five = new int[10];
        Arrays.fill(five, 5);
        assertArrayEquals(five, perClass(s, s0));
        for (int[] sub : new int[][] {s0, s1, a.subset(400, 2)}) {
            assertTrue(Arrays.stream(sub).noneMatch(val::contains), "no subset holds a validation image");
            assertEquals(sub.length, Arrays.stream(sub).distinct().count());
        }
        assertEquals(10, a.classes());
    }

    @Test
    void aClassTooSmallForItsShareIsNamed() {
        ImageSource s = labels(1000);   // class 9 has 50 images, 10 go to validation
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new LabelSplits(s, 100, 0).subset(500, 0));
        assertTrue(e.getMessage().contains("needs 50 of class 9, which has only 40 left"), e.getMessage());
    }
}
