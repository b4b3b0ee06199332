package semaim.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import semaim.model.ModelConfig;
import semaim.model.SemAimModel;
import semaim.target.TargetConfig;
import semaim.torch.Tensors;
import semaim.torch.Torch;
import semaim.util.LrSchedule;

class ScheduleAndGroupsTest {
    @Test
    void scheduleStartsAtZeroPeaksAfterWarmupAndEndsAtMinLr() {
        LrSchedule s = new LrSchedule(1.6e-3, 1e-6, 30, 800);
        assertEquals(0.0, s.at(0), 0);
        assertEquals(0.8e-3, s.at(15), 1e-12);
        assertEquals(1.6e-3, s.at(30), 1e-12);
        assertEquals(1e-6, s.at(800), 1e-15);
        double prev = s.at(30);
        for (double e = 31; e <= 800; e += 7.7) {
            double v = s.at(e);
            assertTrue(v <= prev + 1e-18, "cosine must decrease");
            prev = v;
        }
        assertEquals((1.6e-3 + 1e-6) / 2, s.at(30 + 770 / 2.0), 1e-12);   // half-way down the cosine
    }

    @Test
    void peakLearningRateFollowsTheLinearScalingRule() {
        PretrainConfig paper = PretrainConfig.PAPER;
        assertEquals(2048, paper.effectiveBatch());
        assertEquals(1.6e-3, paper.peakLr(), 1e-12);
        assertTrue(paper.problems().isEmpty(), paper.problems().toString());
        assertTrue(PretrainConfig.CPU.problems().isEmpty(), PretrainConfig.CPU.problems().toString());
    }

    @Test
    void decayGoesToMatricesAndClsButNotBiasesNormsOrThePositionEmbedding() {
        Torch.init();
        SemAimModel m = new SemAimModel(ModelConfig.preset("vit_pico_patch2_28"), TargetConfig.reference());
        List<String> decayed = ParamGroups.decayedNames(m);
        assertTrue(decayed.contains("cls_token"));
        assertTrue(decayed.contains("patch_embed.proj.weight"));
        assertTrue(decayed.contains("blocks.0.attn.qkv.weight"));
        assertTrue(decayed.contains("query_blocks.1.attn.v.weight"));
        assertTrue(decayed.contains("prediction_head.fc2.weight"));
        assertFalse(decayed.contains("pos_embed"));
        assertFalse(decayed.contains("blocks.0.norm1.weight"));
        assertFalse(decayed.contains("blocks.0.attn.qkv.bias"));
        assertFalse(decayed.contains("norm.weight"));
        assertFalse(decayed.stream().anyMatch(n -> n.startsWith("gaussian_blur")));
        var groups = ParamGroups.split(m, 0.05);
        assertEquals(0.05, groups.get(0).weightDecay());
        assertEquals(0.0, groups.get(1).weightDecay());
        int trainable = groups.get(0).params().size() + groups.get(1).params().size();
        long expected = 0;
        var named = m.named_parameters(true);
        for (long i = 0; i < named.size(); i++) {
            if (named.get(i).value().requires_grad()) {
                expected++;
            }
        }
        assertEquals(expected, trainable);
    }

    @Test
    void clippingScalesTheGlobalNormDownToTheLimit() {
        Torch.init();
        Tensor a = Tensors.floats(new float[] {1, 2}, 2).set_requires_grad(true);
        Tensor b = Tensors.floats(new float[] {3}, 1).set_requires_grad(true);
        // gradients: d/da sum(3a) = 3, d/db sum(4b) = 4 -> global norm sqrt(9 + 9 + 16) = sqrt(34)
        a.mul(Tensors.scalar(3)).sum().add(b.mul(Tensors.scalar(4)).sum()).backward();
        TensorVector params = new TensorVector(a, b);
        double before = torch.clip_grad_norm_(params, 3.0);
        assertEquals(Math.sqrt(34), before, 1e-5);
        double after = Math.sqrt(a.grad().pow(Tensors.scalar(2)).sum().item_double()
                + b.grad().pow(Tensors.scalar(2)).sum().item_double());
        assertEquals(3.0, after, 1e-4);
        // Below the limit nothing changes.
        double again = torch.clip_grad_norm_(params, 10.0);
        assertEquals(3.0, again, 1e-4);
        assertEquals(3.0 * 3 / Math.sqrt(34), a.grad().select(0, 0).item_double(), 1e-4);
    }

    @Test
    void anImageBudgetSetsEpochsAndStepsSoTheScheduleSpansIt() {
        PretrainConfig c = PretrainConfig.CPU.withImageBudget(10_000, 4_000);   // batch 64, no accumulation
        org.junit.jupiter.api.Assertions.assertEquals(3, c.optim().epochs());
        org.junit.jupiter.api.Assertions.assertEquals(156, c.run().maxSteps());
        org.junit.jupiter.api.Assertions.assertEquals(1.0, c.optim().warmupEpochs());
        PretrainConfig tiny = PretrainConfig.CPU.withImageBudget(100, 4_000);
        org.junit.jupiter.api.Assertions.assertEquals(1, tiny.optim().epochs());
        org.junit.jupiter.api.Assertions.assertEquals(1, tiny.run().maxSteps());
        org.junit.jupiter.api.Assertions.assertTrue(tiny.problems().isEmpty(), tiny.problems().toString());
    }
}
