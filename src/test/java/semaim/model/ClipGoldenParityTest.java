package semaim.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import semaim.io.ModelWeights;
import semaim.io.SafeTensors;
import semaim.target.FeatureLoss;
import semaim.target.LossType;
import semaim.target.TargetConfig;
import semaim.target.TargetKind;
import semaim.torch.Scope;
import semaim.torch.Tensors;
import semaim.torch.Torch;

/**
 * Parity with the official code's feature-target path ({@code --predict_feature clip}): a small random teacher in
 * OpenAI CLIP's visual layout and a SemAIM student whose head predicts its features, exported with the reference's
 * outputs to src/test/resources/semaim-ref-clip-56px-p4-d64.safetensors (the shared golden file; its metadata
 * records the configuration: student 64/4/4, decoder 2, 56 px, patch 4; teacher width 48, 2 layers, 4 heads,
 * output 32).
 */
class ClipGoldenParityTest {
    static final double TOLERANCE = 1e-5;
    static Path file;
    static Map<String, Tensor> golden;
    static SemAimModel student;
    static TeacherFile.Loaded teacher;

    static ModelConfig studentConfig() {
        return new ModelConfig("golden-clip", 56, 4, 3, 64, 4, 4, 4.0, 2, HeadType.MLP, 0.0, 1e-6);
    }

    @BeforeAll
    static void load() throws Exception {
        Torch.init();
        file = Path.of(ClipGoldenParityTest.class.getResource("/semaim-ref-clip-56px-p4-d64.safetensors").toURI());
        golden = SafeTensors.read(file).tensors();
        TargetConfig target = new TargetConfig(0, 0.0, false, LossType.L2).withKind(TargetKind.CLIP, file.toString(),
                32);
        student = new SemAimModel(studentConfig(), target);
        ModelWeights.LoadReport r = ModelWeights.load(student, golden, true, file.toString());
        assertTrue(r.missing().isEmpty(), "missing " + r.missing());
        student.eval();
        teacher = TeacherFile.load(file, TargetKind.CLIP, 4, studentConfig(), m -> { });
    }

    @Test
    void teacherTokensAndSimilarityMatchTheReference() {
        try (Scope s = Scope.open()) {
            Tensor tokens = Tensors.noGrad(() -> teacher.teacher().tokens(golden.get("golden.images")));
            double tokenDiff = Tensors.maxAbsDiff(tokens, golden.get("golden.teacher_tokens"));
            double simDiff = Tensors.maxAbsDiff(FeatureLoss.similarity(tokens), golden.get("golden.teacher_similarity"));
            System.out.printf("CLIP golden parity: max |teacher token diff| = %.3g, max |teacher similarity diff| ="
                    + " %.3g%n", tokenDiff, simDiff);
            assertTrue(tokenDiff <= TOLERANCE, "teacher tokens differ by " + tokenDiff);
            assertTrue(simDiff <= TOLERANCE, "teacher similarity differs by " + simDiff);
        }
    }

    @Test
    void predictionsAndFeatureLossMatchTheReference() {
        try (Scope s = Scope.open()) {
            Tensor images = golden.get("golden.images"), order = golden.get("golden.order");
            Tensor pred = Tensors.noGrad(() -> student.autoregressivePass(images, order));
            double predDiff = Tensors.maxAbsDiff(pred, golden.get("golden.pred"));
            Tensor tokens = Tensors.noGrad(() -> teacher.teacher().tokens(images));
            double loss = Tensors.noGrad(() -> student.forwardStep(images, order, tokens)).loss().item_double();
            double lossDiff = Math.abs(loss - golden.get("golden.loss").item_double());
            System.out.printf("CLIP golden parity: max |pred diff| = %.3g, |loss diff| = %.3g (loss %.6f)%n", predDiff,
                    lossDiff, loss);
            assertTrue(predDiff <= TOLERANCE, "predictions differ by " + predDiff);
            assertTrue(lossDiff <= TOLERANCE, "loss differs by " + lossDiff);
        }
    }
}
