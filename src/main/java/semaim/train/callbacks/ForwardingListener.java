package semaim.train.callbacks;

import java.nio.file.Path;
import java.util.Map;

import semaim.model.SemAimModel;
import semaim.model.Teacher;
import semaim.train.Pretrainer;

/** A pre-training listener that passes everything on to another; subclasses add what happens at epoch ends. */
public abstract class ForwardingListener implements Pretrainer.Listener {
    protected final Pretrainer.Listener inner;

    protected ForwardingListener(Pretrainer.Listener inner) {
        this.inner = inner;
    }

    @Override
    public void started(long doneSteps, long totalSteps, int stepsPerEpoch, String description) {
        inner.started(doneSteps, totalSteps, stepsPerEpoch, description);
    }

    @Override
    public void step(long step, int epoch, double loss, double lr, double imagesPerSecond) {
        inner.step(step, epoch, loss, lr, imagesPerSecond);
    }

    @Override
    public void checkpoint(Path folder) {
        inner.checkpoint(folder);
    }

    @Override
    public void info(String message) {
        inner.info(message);
    }

    @Override
    public void warn(String message) {
        inner.warn(message);
    }

    @Override
    public void epochEnd(int epochsDone, SemAimModel model) {
        epochEnd(epochsDone, model, null);
    }

    @Override
    public void epochEnd(int epochsDone, SemAimModel model, Teacher teacher) {
        inner.epochEnd(epochsDone, model, teacher);
    }

    @Override
    public Map<String, Object> epochMetrics(int epochsDone, SemAimModel model) {
        return inner.epochMetrics(epochsDone, model);
    }
}
