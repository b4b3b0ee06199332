package semaim.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import semaim.io.ModelWeights;
import semaim.io.SafeTensors;
import semaim.order.SimilarityKind;
import semaim.target.GaussianBlur;
import semaim.target.TargetConfig;
import semaim.torch.Scope;
import semaim.torch.Tensors;
import semaim.torch.Torch;

/**
 * Parity with the official PyTorch SemAIM code ({@code models_semaim.AimViT}, attention_center) on a small model
 * whose weights, inputs and outputs were exported to safetensors: src/test/resources/semaim-ref-28px-p2-d64.safetensors
 * (its metadata records the source and the configuration).
 */
class GoldenParityTest {
    static final double TOLERANCE = 1e-5;
    static Map<String, Tensor> golden;
    static SemAimModel model;
    static ModelWeights.LoadReport report;

    static ModelConfig goldenConfig() {
        return new ModelConfig("golden", 28, 2, 3, 64, 4, 4, 4.0, 2, HeadType.MLP, 0.0, 1e-6);
    }

    @BeforeAll
    static void load() throws Exception {
        Torch.init();
        Path file = Path.of(GoldenParityTest.class.getResource("/semaim-ref-28px-p2-d64.safetensors").toURI());
        assertTrue(Files.size(file) > 0);
        golden = SafeTensors.read(file).tensors();
        model = new SemAimModel(goldenConfig(), TargetConfig.reference());
        report = ModelWeights.load(model, golden, true, file.toString());
        model.eval();
    }

    @Test
    void everyParameterLoadsByItsReferenceName() {
        assertTrue(report.missing().isEmpty(), "missing: " + report.missing());
        assertEquals(ModelWeights.stateDict(model).size(), report.loaded().size());
        for (String k : report.unexpected()) {
            assertTrue(k.startsWith("golden."), "unexpected non-golden key " + k);
        }
    }

    @Test
    void predictionsAndLossMatchTheReference() {
        try (Scope scope = Scope.open()) {
            Tensor images = golden.get("golden.images");
            Tensor order = golden.get("golden.order");
            Tensor pred = Tensors.noGrad(() -> model.autoregressivePass(images, order));
            double predDiff = Tensors.maxAbsDiff(pred, golden.get("golden.pred"));
            StepOutput out = Tensors.noGrad(() -> model.forwardStep(images, order));
            double lossDiff = Math.abs(out.loss().item_double() - golden.get("golden.loss").item_double());
            System.out.printf("golden parity: max |pred diff| = %.3g, |loss diff| = %.3g (loss %.6f)%n",
                    predDiff, lossDiff, out.loss().item_double());
            assertTrue(predDiff <= TOLERANCE, "pred differs by " + predDiff);
            assertTrue(lossDiff <= TOLERANCE, "loss differs by " + lossDiff);
        }
    }

    @Test
    void similarityMatchesTheReference() {
        try (Scope scope = Scope.open()) {
            SimilarityMaps maps = model.similarityPass(golden.get("golden.images"), SimilarityKind.CLS);
            double diff = Tensors.maxAbsDiff(maps.similarity(), golden.get("golden.similarity"));
            System.out.printf("golden parity: max |similarity diff| = %.3g%n", diff);
            assertTrue(diff <= TOLERANCE, "similarity differs by " + diff);
        }
    }

    @Test
    void ourGaussianKernelEqualsTheReferenceBuffer() {
        Tensor ours = Tensors.floats(GaussianBlur.kernel(9, 1.0), 1, 1, 9, 9);
        Tensor theirs = golden.get("gaussian_blur.weight").narrow(0, 0, 1);
        assertTrue(Tensors.maxAbsDiff(ours, theirs) < 1e-7);
    }

    @Test
    void ourPositionEmbeddingEqualsTheReferenceBuffer() {
        Tensor ours = Tensors.floats(PositionEmbedding.sinCos2d(64, 14, 14), 1, 197, 64);
        assertTrue(Tensors.maxAbsDiff(ours, golden.get("pos_embed")) < 1e-6);
    }
}
