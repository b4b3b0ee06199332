package semaim.data;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** Time spent in each stage of the data path, summed over the worker threads (for {@code bench-data}). */
public final class StageTimes {
    /** The stages of one image's way into a batch. */
    public enum Stage { READ, DECODE, CROP_RESIZE, NORMALISE, ASSEMBLE }

    private final Map<Stage, LongAdder> nanos = new EnumMap<>(Stage.class);

    public StageTimes() {
        for (Stage s : Stage.values()) {
            nanos.put(s, new LongAdder());
        }
    }

    /** Adds the time since {@code since} (System.nanoTime) to {@code stage}; returns now. */
    public long add(Stage stage, long since) {
        long now = System.nanoTime();
        nanos.get(stage).add(now - since);
        return now;
    }

    /** Seconds spent in {@code stage} so far, over all threads. */
    public double seconds(Stage stage) {
        return nanos.get(stage).sum() / 1e9;
    }

    public void reset() {
        nanos.values().forEach(LongAdder::reset);
    }
}
