package semaim.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import semaim.cli.Cli;
import semaim.data.AugmentConfig;
import semaim.eval.EncoderSource;
import semaim.model.SemAimModel;
import semaim.model.VisionTransformer;
import semaim.target.FeatureLoss;
import semaim.torch.Precision;
import semaim.torch.Scope;
import semaim.torch.Tensors;
import semaim.torch.Torch;

/** {@code --order-teacher}: a semaim run as a frozen encoder whose CLS-patch similarity orders the student's patches. */
class OrderTeacherTest {
    @Test
    void aRunAsOrderTeacherGivesItsEncodersSimilarityWhateverTheTarget(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("teacher-run");
        Cli.Outcome o = Cli.run("pretrain", "--image-size", "16", "--batch-size", "8", "--max-steps", "2",
                "--viz-every", "0", "--monitor-knn", "0", "--output", run.toString());
        assertEquals(0, o.code(), o.err());
        Torch.init();
        EncoderSource source = EncoderSource.open(run);
        VisionTransformer encoder = source.build(VisionTransformer.Pooling.CLS, 0);
        encoder.train(false);
        Path file = source.checkpoint().file();
        try (Scope scope = Scope.open()) {
            Tensor x = Tensors.floats(new long[] {3, 1, 16, 16}, i -> Math.sin(i * 0.37) + 0.1 * (i % 7));
            float[] expected = Tensors.toFloats(Tensors.noGrad(() -> FeatureLoss.similarity(encoder.tokens(x))));
            // A HOG target, whose own order would be the student's: the order teacher's similarity comes with it.
            PretrainConfig cfg = PretrainConfig.CPU;
            var mc = cfg.modelConfig(1).withImageSize(16);
            Targets.Prepared prepared = Targets.prepare(cfg.target(), file.toString(), mc, m -> { });
            assertNotNull(prepared.orderTeacher());
            SemAimModel student = new SemAimModel(mc, prepared.config());
            Targets targets = Targets.attach(prepared, student, AugmentConfig.pretraining(16, 1), Precision.FP32);
            Targets.Batch b = targets.compute(x);
            assertNotNull(b.targets(), "the HOG targets are still computed");
            assertArrayEquals(expected, Tensors.toFloats(b.similarity()), 1e-5f,
                    "the order teacher's similarity is its encoder's (3 heads read from the run's metadata)");
            assertEquals("order teacher", targets.provenance().get("order_source"));
        }
    }

    @Test
    void anOrderWithoutSimilarityRefusesAnOrderTeacher(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("t.safetensors"), "x");
        Cli.Outcome o = Cli.run("pretrain", "--order", "raster", "--order-teacher", file.toString(), "--max-steps",
                "1", "--output", dir.resolve("run").toString());
        assertEquals(3, o.code(), o.err());
        assertTrue(o.err().contains("--order-teacher sets a semantic order's similarity; the raster order uses none"),
                o.err());
    }
}
