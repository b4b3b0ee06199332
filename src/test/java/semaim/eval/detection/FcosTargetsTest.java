package semaim.eval.detection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;

import semaim.eval.detection.FcosTargets.Targets;
import semaim.eval.detection.FcosTargets.Truth;

/** FCOS assignment on hand-placed boxes, and decoding its own targets back into the boxes. */
class FcosTargetsTest {
    private static final List<FcosTargets.Level> LEVELS = FcosTargets.levels(112, 4, 8, 16, 28);

    @Test
    void aBoxGoesToTheLevelOfItsSizeAtTheLocationsNearItsCentre() {
        // 80 px box centred at 56: at stride 8 the locations 52 and 60 (within 1.5 x 8 of the centre) reach 44 px,
        // inside (32, 64]; at stride 4 they reach 42 > 32, at stride 16 the location 56 reaches 40 <= 64.
        Targets t = FcosTargets.assign(LEVELS, List.of(new Truth(16, 16, 96, 96, 3)));
        assertEquals(4, t.positives());
        int offset = 28 * 28, n = offset + 6 * 14 + 6;             // stride 8, row 6 col 6: location (52, 52)
        assertEquals(4, t.classes()[n]);
        assertEquals(36 / 8f, t.ltrb()[4 * n], 1e-6);
        assertEquals(44 / 8f, t.ltrb()[4 * n + 3], 1e-6);
        assertEquals(36 / 44f, t.centreness()[n], 1e-6);
        assertEquals(0, t.classes()[offset + 2 * 14 + 2], "a location outside the centre region is background");
    }

    @Test
    void theSmallerOfTwoBoxesHoldingALocationWins() {
        Truth big = new Truth(0, 0, 112, 112, 0), small = new Truth(20, 20, 76, 76, 5);
        // location (52, 52) at stride 8 (row 6, col 6): big reaches 60, in (32, 64]
        Targets onlyBig = FcosTargets.assign(LEVELS, List.of(big));
        int n = 28 * 28 + 6 * 14 + 6;
        assertEquals(1, onlyBig.classes()[n]);
        // at stride 4, location (50, 50): small reaches 26 (in (0, 32]), big 62 (not): small wins there
        int m = 12 * 28 + 12;
        Targets both = FcosTargets.assign(LEVELS, List.of(big, small));
        assertEquals(6, both.classes()[m]);
        // a box the same size as the small one but wider, both in range at one location: the smaller area wins
        Truth wider = new Truth(18, 20, 78, 76, 7);
        assertEquals(6, FcosTargets.assign(LEVELS, List.of(wider, small)).classes()[m]);
        assertEquals(6, FcosTargets.assign(LEVELS, List.of(small, wider)).classes()[m]);
    }

    @Test
    void decodingTheTargetsGivesTheBoxesBack() {
        List<Truth> truths = List.of(new Truth(16, 16, 96, 96, 3), new Truth(4, 70, 30, 100, 1));
        Targets t = FcosTargets.assign(LEVELS, truths);
        int locations = t.classes().length, classes = 10;
        float[] probs = new float[locations * classes];
        for (int n = 0; n < locations; n++) {
            if (t.classes()[n] > 0) {
                probs[n * classes + t.classes()[n] - 1] = 0.9f;
            }
        }
        List<BoxDecoding.Box> boxes = BoxDecoding.decode(LEVELS, probs, classes, t.ltrb(), t.centreness(), 112, 112);
        assertEquals(2, boxes.size(), "one box per truth after non-maximum suppression: " + boxes);
        for (BoxDecoding.Box b : boxes) {
            Truth g = truths.stream().filter(x -> x.classIndex() == b.classIndex()).findFirst().orElseThrow();
            assertEquals(g.x0(), b.x0(), 1e-4);
            assertEquals(g.y1(), b.y1(), 1e-4);
        }
    }

    @Test
    void suppressionIsPerClass() {
        BoxDecoding.Box a = new BoxDecoding.Box(0, 0, 10, 10, 0, .9), b = new BoxDecoding.Box(1, 0, 11, 10, 0, .8);
        BoxDecoding.Box c = new BoxDecoding.Box(1, 0, 11, 10, 1, .7);
        assertEquals(List.of(a, c), BoxDecoding.suppress(List.of(b, c, a)));
    }

    @Test
    void aStrideMustDivideTheSide() {
        assertThrows(IllegalArgumentException.class, () -> FcosTargets.levels(112, 5));
    }
}
