package semaim.order;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/** Grid arithmetic shared by the orders: smoothing, argmax, distances, peaks. Patch t is at (t / W, t % W). */
final class Grids {
    private static final ConcurrentHashMap<Long, Double> MIN_GAP = new ConcurrentHashMap<>();

    private Grids() {}

    /**
     * The 3x3 mean filter of Eq. 3's text. At the border we average over the neighbours that exist (no padding
     * value enters the mean); the paper does not say, and the reference code has no filter at all.
     */
    static float[] meanFilter3x3(float[] s, int h, int w) {
        float[] out = new float[s.length];
        for (int r = 0; r < h; r++) {
            for (int c = 0; c < w; c++) {
                double sum = 0;
                int count = 0;
                for (int dr = -1; dr <= 1; dr++) {
                    for (int dc = -1; dc <= 1; dc++) {
                        int rr = r + dr, cc = c + dc;
                        if (rr >= 0 && rr < h && cc >= 0 && cc < w) {
                            sum += s[rr * w + cc];
                            count++;
                        }
                    }
                }
                out[r * w + c] = (float) (sum / count);
            }
        }
        return out;
    }

    /** Index of the largest value; the first in row-major order on ties (as {@code torch.max}). */
    static int argmax(float[] s) {
        int best = 0;
        for (int i = 1; i < s.length; i++) {
            if (s[i] > s[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Euclidean distance (Eq. 4) between patch t and patch {@code centre}. */
    static double distance(int t, int centre, int w) {
        int dr = t / w - centre / w, dc = t % w - centre % w;
        return Math.sqrt(dr * dr + dc * dc);
    }

    /**
     * Smallest positive difference between two Euclidean distances that occur on an h x w grid (0.0359 on 14x14).
     * Noise below it can only reorder patches at exactly the same distance.
     */
    static double minDistanceGap(int h, int w) {
        return MIN_GAP.computeIfAbsent(((long) h << 32) | w, k -> {
            int maxSq = (h - 1) * (h - 1) + (w - 1) * (w - 1);
            boolean[] occurs = new boolean[maxSq + 1];
            for (int dr = 0; dr < h; dr++) {
                for (int dc = 0; dc < w; dc++) {
                    occurs[dr * dr + dc * dc] = true;
                }
            }
            double gap = Double.POSITIVE_INFINITY;
            double prev = -1;
            for (int sq = 0; sq <= maxSq; sq++) {
                if (occurs[sq]) {
                    double d = Math.sqrt(sq);
                    if (prev >= 0) {
                        gap = Math.min(gap, d - prev);
                    }
                    prev = d;
                }
            }
            return gap;
        });
    }

    /**
     * Local maxima of {@code s} (no 8-neighbour strictly larger), highest first, keeping only those at Euclidean
     * distance &gt;= {@code minSeparation} from every peak already kept; at most {@code k}.
     */
    static List<Integer> separatedPeaks(float[] s, int h, int w, int k, double minSeparation) {
        List<Integer> candidates = new ArrayList<>();
        for (int t = 0; t < s.length; t++) {
            if (isLocalMax(s, t, h, w)) {
                candidates.add(t);
            }
        }
        candidates.sort((a, b) -> s[a] != s[b] ? Float.compare(s[b], s[a]) : Integer.compare(a, b));
        List<Integer> peaks = new ArrayList<>();
        for (int t : candidates) {
            if (peaks.size() == k) {
                break;
            }
            boolean farEnough = true;
            for (int p : peaks) {
                if (distance(t, p, w) < minSeparation) {
                    farEnough = false;
                    break;
                }
            }
            if (farEnough) {
                peaks.add(t);
            }
        }
        return peaks;
    }

    private static boolean isLocalMax(float[] s, int t, int h, int w) {
        int r = t / w, c = t % w;
        for (int dr = -1; dr <= 1; dr++) {
            for (int dc = -1; dc <= 1; dc++) {
                int rr = r + dr, cc = c + dc;
                if ((dr != 0 || dc != 0) && rr >= 0 && rr < h && cc >= 0 && cc < w && s[rr * w + cc] > s[t]) {
                    return false;
                }
            }
        }
        return true;
    }
}
