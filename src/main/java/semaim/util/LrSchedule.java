package semaim.util;

/**
 * The reference's per-iteration learning-rate schedule on fractional epochs: linear warm-up from 0 to the peak,
 * then half a cosine down to {@code minLr} at the last epoch.
 */
public record LrSchedule(double peakLr, double minLr, double warmupEpochs, double epochs) {

    /** Learning rate at fractional epoch {@code e} (epoch + iteration / iterations per epoch). */
    public double at(double e) {
        if (e < warmupEpochs) {
            return peakLr * e / warmupEpochs;
        }
        double progress = (e - warmupEpochs) / (epochs - warmupEpochs);
        return minLr + (peakLr - minLr) * 0.5 * (1 + Math.cos(Math.PI * Math.min(1.0, progress)));
    }
}
