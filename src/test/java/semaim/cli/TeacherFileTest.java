package semaim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import semaim.eval.EncoderCheckpoint;
import semaim.io.SafeTensors;
import semaim.model.HeadType;
import semaim.model.ModelConfig;
import semaim.model.SemAimModel;
import semaim.model.TeacherFile;
import semaim.order.SimilarityKind;
import semaim.target.TargetKind;
import semaim.torch.Scope;
import semaim.torch.Tensors;

/** Teachers from files: our exporter's timm-named ViT, prefixes, grid resampling, and files that do not fit. */
class TeacherFileTest {
    @TempDir
    static Path dir;
    static Path run;
    static Path exported;

    @BeforeAll
    static void pretrainAndExport() {
        run = dir.resolve("run");
        Cli.Outcome o = Cli.run("pretrain", "--image-size", "16", "--patch-size", "4", "--width", "32", "--depth", "2",
                "--heads", "2", "--decoder-depth", "1", "--viz-every", "0", "--batch-size", "8", "--max-steps", "2",
                "--output", run.toString());
        assertEquals(0, o.code(), o.err());
        exported = dir.resolve("teacher.safetensors");
        Cli.Outcome e = Cli.run("export", "--checkpoint", run.toString(), "--output", exported.toString());
        assertEquals(0, e.code(), e.err());
    }

    static ModelConfig student(int imageSize, int patch) {
        return new ModelConfig("student", imageSize, patch, 1, 32, 2, 2, 4.0, 1, HeadType.MLP, 0.0, 1e-6);
    }

    @Test
    void ourExportLoadsAsAVitTeacherWithTheEncodersTokens() throws Exception {
        try (Scope s = Scope.open()) {
            TeacherFile.Loaded t = TeacherFile.load(exported, TargetKind.VIT, 0, student(16, 4), m -> { });
            assertEquals(32, t.featureDim());
            assertTrue(t.description().contains("2 heads"), "heads from the export's metadata: " + t.description());
            SemAimModel m = EncoderCheckpoint.open(run).fullModel();
            Tensor images = torch.randn(3, 1, 16, 16);
            Tensor ours = m.similarityPass(images, SimilarityKind.CLS).tokens();   // unmasked encoder, final norm
            Tensor theirs = Tensors.noGrad(() -> t.teacher().tokens(images));
            double diff = Tensors.maxAbsDiff(ours, theirs);
            assertTrue(diff < 1e-6, "teacher tokens differ from the encoder's by " + diff);

            Map<String, Tensor> prefixed = new LinkedHashMap<>();
            SafeTensors.read(exported).tensors().forEach((k, v) -> prefixed.put("module.teacher." + k, v));
            prefixed.put("text.unrelated.weight", Tensors.zeros(3));
            Path p = dir.resolve("prefixed.safetensors");
            SafeTensors.write(p, prefixed, Map.of("heads", "2"));
            Tensor again = Tensors.noGrad(() -> {
                try {
                    return TeacherFile.load(p, TargetKind.DINO, 0, student(16, 4), m2 -> { }).teacher().tokens(images);
                } catch (java.io.IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            assertEquals(0.0, Tensors.maxAbsDiff(theirs, again), "the prefix module.teacher. is stripped");
        }
    }

    @Test
    void aTeacherForAnotherGridIsResampled() throws Exception {
        try (Scope s = Scope.open()) {
            List<String> warnings = new ArrayList<>();
            TeacherFile.Loaded t = TeacherFile.load(exported, TargetKind.VIT, 0, student(32, 4), warnings::add);
            Tensor tokens = Tensors.noGrad(() -> t.teacher().tokens(torch.randn(2, 1, 32, 32)));
            assertEquals(List.of(2L, 65L, 32L), java.util.Arrays.stream(Tensors.shape(tokens)).boxed().toList());
            assertEquals(1, warnings.size());
            assertTrue(warnings.get(0).contains("4x4 grid; resampled (bicubic) to the student's 8x8"), warnings.get(0));
        }
    }

    @Test
    void filesThatDoNotFitFailNamingTheTensor() {
        IllegalArgumentException patch = assertThrows(IllegalArgumentException.class,
                () -> TeacherFile.load(exported, TargetKind.VIT, 0, student(16, 2), m -> { }));
        assertTrue(patch.getMessage().contains("'patch_embed.proj.weight' has 4x4 patches but the student's are 2x2"),
                patch.getMessage());
        IllegalArgumentException kind = assertThrows(IllegalArgumentException.class,
                () -> TeacherFile.load(exported, TargetKind.CLIP, 0, student(16, 4), m -> { }));
        assertTrue(kind.getMessage().contains("no 'conv1.weight'"), kind.getMessage());
        ModelConfig rgb = new ModelConfig("rgb", 16, 4, 3, 32, 2, 2, 4.0, 1, HeadType.MLP, 0.0, 1e-6);
        IllegalArgumentException channels = assertThrows(IllegalArgumentException.class,
                () -> TeacherFile.load(exported, TargetKind.VIT, 0, rgb, m -> { }));
        assertTrue(channels.getMessage().contains("'patch_embed.proj.weight' takes 1-channel images"),
                channels.getMessage());
    }

    @Test
    void pretrainRefusesATeacherTargetWithoutAFileAndRunsWithOne() throws Exception {
        Cli.Outcome none = Cli.run("pretrain", "--target", "dino", "--output", dir.resolve("x").toString());
        assertEquals(ExitCodes.INVALID_CONFIG, none.code());
        assertTrue(none.err().contains("--target dino needs --teacher"), none.err());
        Cli.Outcome ok = Cli.run("pretrain", "--image-size", "16", "--patch-size", "4", "--width", "32", "--depth",
                "2", "--heads", "2", "--decoder-depth", "1", "--viz-every", "0", "--batch-size", "8", "--max-steps",
                "2", "--target", "vit", "--teacher", exported.toString(), "--output", dir.resolve("v").toString());
        assertEquals(0, ok.code(), ok.err());

        // visualize shows the teacher's similarity next to the student's, and no pixel panels for features
        Path maps = dir.resolve("maps");
        Cli.Outcome viz = Cli.run("visualize", "--checkpoint", dir.resolve("v").toString(), "--images",
                exported.toString().replace("teacher.safetensors", "run"), "--output", maps.toString());
        assertEquals(ExitCodes.DATA, viz.code(), "a run folder is not an image source: " + viz.err());
        java.nio.file.Files.createDirectories(dir.resolve("idx"));
        Path idx = semaim.data.TestData.writeIdx(dir.resolve("idx"), 32);
        viz = Cli.run("visualize", "--checkpoint", dir.resolve("v").toString(), "--images", idx.toString(),
                "--limit", "2", "--output", maps.toString());
        assertEquals(0, viz.code(), viz.err());
        assertTrue(viz.err().contains("teacher: " + exported), viz.err());
        SemAimModel m = EncoderCheckpoint.open(dir.resolve("v")).fullModel();
        assertEquals(List.of("input", "self-attention", "similarity S", "teacher similarity", "raster", "stochastic",
                "similarity order", "semantic order", "PCA of patches"), semaim.viz.MapFigure.captions(m, t(m)));
        assertTrue(java.nio.file.Files.isRegularFile(maps.resolve("overview.png")));

        // ablate takes hog, ema and teacher:FILE cells
        Cli.Outcome grid = Cli.run("ablate", "--targets", "hog,teacher:" + exported, "--orders", "semantic",
                "--data", idx.toString(), "--image-size", "16", "--patch-size", "4", "--width", "32", "--depth", "2",
                "--heads", "2", "--decoder-depth", "1", "--channels", "1", "--batch-size", "8", "--max-steps", "2",
                "--epochs", "1", "--train-limit", "32", "--test-limit", "16", "--linprobe-epochs", "1", "--output",
                dir.resolve("grid").toString());
        assertEquals(0, grid.code(), grid.err());
        String table = java.nio.file.Files.readString(dir.resolve("grid").resolve("ablation.md"));
        assertTrue(table.contains("semantic_hog_d1") && table.contains("semantic_teacher-teacher_d1"), table);
    }

    private static semaim.model.Teacher t(SemAimModel m) throws java.io.IOException {
        return TeacherFile.load(exported, TargetKind.VIT, 0, m.config(), x -> { }).teacher();
    }

    @Test
    void anEmaRunResumesBitExactlyWithItsAverage() throws Exception {
        String[] tiny = {"pretrain", "--image-size", "16", "--patch-size", "4", "--width", "32", "--depth", "2",
            "--heads", "2", "--decoder-depth", "1", "--viz-every", "0", "--batch-size", "8", "--target", "ema",
            "--ema-decay", "0.9"};
        Path a = dir.resolve("ema-a"), b = dir.resolve("ema-b");
        assertEquals(0, Cli.run(concat(tiny, "--max-steps", "4", "--output", a.toString())).code());
        assertEquals(0, Cli.run(concat(tiny, "--max-steps", "2", "--output", b.toString())).code());
        Cli.Outcome r = Cli.run(concat(tiny, "--max-steps", "4", "--output", b.toString(), "--resume", "auto"));
        assertEquals(0, r.code(), r.err());
        for (String f : List.of("model.safetensors", "ema.safetensors")) {
            Map<String, Tensor> x = SafeTensors.read(a.resolve("checkpoints/step-00000004").resolve(f)).tensors();
            Map<String, Tensor> y = SafeTensors.read(b.resolve("checkpoints/step-00000004").resolve(f)).tensors();
            assertEquals(x.keySet(), y.keySet());
            for (String k : x.keySet()) {
                assertEquals(0.0, Tensors.maxAbsDiff(x.get(k), y.get(k)), f + " " + k);
            }
        }
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
