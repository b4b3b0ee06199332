package semaim.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;

import semaim.data.AugmentConfig;
import semaim.model.EmaTeacher;
import semaim.model.ModelConfig;
import semaim.model.SemAimModel;
import semaim.model.Teacher;
import semaim.model.TeacherFile;
import semaim.target.FeatureLoss;
import semaim.target.Hog;
import semaim.target.TargetConfig;
import semaim.target.TargetKind;
import semaim.torch.Autocast;
import semaim.torch.Precision;
import semaim.torch.Tensors;

/**
 * What the loss compares the head's output with, for each batch, when it is not the pixels the model computes
 * itself (reference notes, section 3):
 * <ul>
 *   <li>a teacher's tokens (clip, dino, vit from {@code --teacher}; ema: the student's moving average), computed
 *       without gradient in the student's precision, and the teacher's min-max CLS-patch similarity, which sets the
 *       semantic order unless {@code --order-source student};</li>
 *   <li>HOG histograms of the un-normalised images.</li>
 * </ul>
 * The teacher sees the batch as normalised for the student (ImageNet statistics by default), as the reference
 * feeds every teacher; {@code --teacher-norm clip} re-normalises it with CLIP's own statistics instead.
 */
public final class Targets {
    /** CLIP's image statistics ({@code clip/clip.py} {@code _transform}). */
    static final float[] CLIP_MEAN = {0.48145466f, 0.4578275f, 0.40821073f};
    static final float[] CLIP_STD = {0.26862954f, 0.26130258f, 0.27577711f};

    /** One batch's targets (null for pixels) and the similarity that orders it (null: the student's own). */
    public record Batch(Tensor targets, Tensor similarity) {}

    private final TargetConfig config;
    private final Teacher teacher;           // clip, dino, vit, ema; else null
    private final EmaTeacher ema;            // ema only
    private final Hog hog;                   // hog only
    private final float[] mean;
    private final float[] std;
    private final Precision precision;
    private final Map<String, String> provenance = new LinkedHashMap<>();
    private Teacher orderTeacher;            // --order-teacher, else null

    private Targets(TargetConfig config, Teacher teacher, EmaTeacher ema, Hog hog, float[] mean, float[] std,
            Precision precision) {
        this.config = config;
        this.teacher = teacher;
        this.ema = ema;
        this.hog = hog;
        this.mean = mean;
        this.std = std;
        this.precision = precision;
    }

    /**
     * Reads the teacher of {@code config} for a student of shape {@code model} (before the student is built: the
     * head's width is the teacher's). Returns the config with the feature width set, and what computes the targets
     * once {@link #attach} has seen the student.
     */
    public static Prepared prepare(TargetConfig config, ModelConfig model, Consumer<String> warn) throws IOException {
        return prepare(config, null, model, warn);
    }

    /**
     * As above, with an order teacher ({@code --order-teacher}; null: none): a frozen encoder, CLIP or timm-named
     * (detected from its tensors), whose similarity sets the semantic order whatever the target.
     */
    public static Prepared prepare(TargetConfig config, String orderTeacher, ModelConfig model, Consumer<String> warn)
            throws IOException {
        TeacherFile.Loaded order = null;
        if (orderTeacher != null) {
            Path file = Path.of(orderTeacher);
            order = TeacherFile.load(file, TeacherFile.detect(file), 0, model, warn);
        }
        if (!config.kind().needsTeacherFile()) {
            return new Prepared(config, null, order);
        }
        TeacherFile.Loaded t = TeacherFile.load(Path.of(config.teacher()), config.kind(), config.teacherHeads(), model,
                warn);
        return new Prepared(config.withFeatureDim(t.featureDim()), t, order);
    }

    /**
     * A target config with its width known, the teacher read for it (null without one) and the order teacher (null
     * without one).
     */
    public record Prepared(TargetConfig config, TeacherFile.Loaded teacher, TeacherFile.Loaded orderTeacher) {}

    /** The targets of {@code prepared} for {@code student}, normalised with {@code aug}'s statistics. */
    public static Targets attach(Prepared prepared, SemAimModel student, AugmentConfig aug, Precision precision) {
        TargetConfig c = prepared.config();
        float[] mean = floats(aug.mean()), std = floats(aug.std());
        Device device = student.device();
        Targets t;
        switch (c.kind()) {
            case PIXEL -> t = new Targets(c, null, null, null, mean, std, precision);
            case HOG -> t = new Targets(c, null, null, new Hog(student.config().inChannels(),
                    student.config().patchSize(), mean, std), mean, std, precision);
            case EMA -> {
                EmaTeacher e = new EmaTeacher(student, c.emaDecay());
                t = new Targets(c, e, e, null, mean, std, precision);
                t.provenance.put("target", "ema (decay " + c.emaDecay() + ")");
            }
            default -> {
                Teacher teacher = prepared.teacher().teacher();
                teacher.moveTo(device);
                t = new Targets(c, teacher, null, null, mean, std, precision);
                t.provenance.put("target", c.kind().toString());
                t.provenance.put("teacher", prepared.teacher().description());
                t.provenance.put("teacher_file", c.teacher());
                t.provenance.put("teacher_sha256", prepared.teacher().sha256());
                t.provenance.put("teacher_norm", c.teacherNorm() == null ? "imagenet" : c.teacherNorm());
            }
        }
        if (prepared.orderTeacher() != null) {
            t.orderTeacher = prepared.orderTeacher().teacher();
            t.orderTeacher.moveTo(device);
            t.provenance.put("order_source", "order teacher");
            t.provenance.put("order_teacher", prepared.orderTeacher().description());
            t.provenance.put("order_teacher_sha256", prepared.orderTeacher().sha256());
        } else if (c.kind().isFeature()) {
            t.provenance.put("order_source", c.orderFromTeacher() ? "teacher" : "student");
        }
        return t;
    }

    private static float[] floats(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }

    public TargetKind kind() {
        return config.kind();
    }

    /** The teacher (a file's, or the EMA), or null for pixels and HOG. */
    public Teacher teacher() {
        return teacher;
    }

    /** The EMA teacher (to checkpoint), or null. */
    public EmaTeacher ema() {
        return ema;
    }

    /** What the run's provenance records about the target (teacher file and its SHA-256...). */
    public Map<String, String> provenance() {
        return provenance;
    }

    /** This batch's targets and, with an order teacher or a teacher, its similarity (for the order). */
    public Batch compute(Tensor images) {
        Batch b = targets(images);
        if (orderTeacher == null) {
            return b;
        }
        // In fp32, as the student's own similarity pass (TrainStep): the order teacher replaces it.
        Tensor similarity = Tensors.noGrad(() -> FeatureLoss.similarity(orderTeacher.tokens(images)));
        return new Batch(b.targets(), similarity);
    }

    private Batch targets(Tensor images) {
        if (config.kind() == TargetKind.PIXEL) {
            return new Batch(null, null);
        }
        if (hog != null) {
            return new Batch(Tensors.noGrad(() -> hog.targets(images)), null);
        }
        Tensor input = "clip".equals(config.teacherNorm()) ? clipNormalised(images) : images;
        Tensor tokens;
        try (Autocast autocast = precision.autocast(images.device())) {
            tokens = Tensors.noGrad(() -> teacher.tokens(input));
        }
        tokens = tokens.to(org.bytedeco.pytorch.global.torch.ScalarType.Float);
        Tensor similarity = config.orderFromTeacher() && orderTeacher == null ? FeatureLoss.similarity(tokens) : null;
        return new Batch(tokens, similarity);
    }

    /** The student's batch with its normalisation undone and CLIP's applied. */
    private Tensor clipNormalised(Tensor images) {
        return Tensors.normalise(Tensors.unnormalise(images, mean, std), CLIP_MEAN, CLIP_STD);
    }

    /** After an optimiser step: the EMA moves towards the student. */
    public void afterStep(SemAimModel student) {
        if (ema != null) {
            ema.update(student);
        }
    }
}
