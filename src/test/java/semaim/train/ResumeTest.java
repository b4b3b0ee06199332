package semaim.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import semaim.data.TestData;
import semaim.io.CheckpointFolders;
import semaim.io.SafeTensors;
import semaim.model.HeadType;
import semaim.order.SimilarityKind;
import semaim.target.LossType;
import semaim.target.TargetConfig;
import semaim.torch.Torch;

/** 2K steps straight equal K steps, stop, resume, K steps: bit for bit, across an epoch boundary. */
class ResumeTest {
    @TempDir
    Path dir;

    /** 64 images, batch 8, 2 accumulation steps: 4 optimiser steps per epoch. */
    static PretrainConfig tiny(String data, long maxSteps) {
        return new PretrainConfig(
                new PretrainConfig.Data(data, 1, false, 2, 2, 0, false),
                new PretrainConfig.Augment(0.2, 1.0, 3.0 / 4, 4.0 / 3, 0.5, null, null),
                new PretrainConfig.Model("vit_nano_patch4_28", 16, 2, HeadType.MLP, 0.1, 0, 0, 0, 0),
                new TargetConfig(9, 1.0, true, LossType.L2),
                new PretrainConfig.Order("semantic", SimilarityKind.CLS),
                new PretrainConfig.Optim(3, 8, 2, 4e-3, 0.0, 1, 0.05, 0.9, 0.95, 1e-8, 3.0),
                new PretrainConfig.Run(0, "cpu", maxSteps, 2, 10, 1, "fp32"));
    }

    static Pretrainer.Listener quiet(List<String> log) {
        return new Pretrainer.Listener() {
            @Override
            public void started(long done, long total, int perEpoch, String d) {
                log.add("started " + done + "/" + total);
            }

            @Override
            public void step(long step, int epoch, double loss, double lr, double ips) {
                log.add("step " + step + " loss " + loss);
            }

            @Override
            public void checkpoint(Path folder) {
                log.add("checkpoint " + folder.getFileName());
            }

            @Override
            public void info(String m) {
                log.add(m);
            }

            @Override
            public void warn(String m) {
                log.add("WARN " + m);
            }
        };
    }

    @Test
    void resumedRunEqualsStraightRunBitForBit() throws Exception {
        String data = TestData.writeIdx(dir, 64).toString();
        int k = 3;   // stops mid-epoch (4 steps per epoch); the second half crosses into epoch 2
        List<String> straightLog = new ArrayList<>();
        Pretrainer.Result straight = new Pretrainer(tiny(data, 2 * k), dir.resolve("straight"), null)
                .run(() -> false, quiet(straightLog));
        assertEquals(2 * k, straight.steps());

        List<String> firstLog = new ArrayList<>();
        Pretrainer.Result first = new Pretrainer(tiny(data, k), dir.resolve("resumed"), null)
                .run(() -> false, quiet(firstLog));
        assertEquals(k, first.steps());
        Path ckpt = first.lastCheckpoint();
        Checkpoint.State state = Checkpoint.read(ckpt);
        assertEquals(k, state.step());
        assertEquals(0, state.epoch());
        assertEquals(6, state.batchInEpoch());

        Torch.manualSeed(12345);   // disturb the global generator: resume must restore it
        List<String> secondLog = new ArrayList<>();
        Pretrainer.Result second = new Pretrainer(tiny(data, 2 * k), dir.resolve("resumed"), ckpt)
                .run(() -> false, quiet(secondLog));
        assertEquals(2 * k, second.steps());

        Map<String, Tensor> a = SafeTensors.read(straight.lastCheckpoint().resolve(CheckpointFolders.MODEL)).tensors();
        Map<String, Tensor> b = SafeTensors.read(second.lastCheckpoint().resolve(CheckpointFolders.MODEL)).tensors();
        assertEquals(a.keySet(), b.keySet());
        for (String name : a.keySet()) {
            assertTrue(torch.equal(a.get(name), b.get(name)), name + " differs after resume");
        }
        // The losses of the resumed steps repeat the straight run's exactly.
        List<String> straightSteps = straightLog.stream().filter(l -> l.startsWith("step ")).toList();
        List<String> resumedSteps = secondLog.stream().filter(l -> l.startsWith("step ")).toList();
        assertEquals(straightSteps.subList(k, 2 * k), resumedSteps);
        // metrics.jsonl holds each step once
        List<String> lines = Files.readAllLines(dir.resolve("resumed/metrics.jsonl"));
        assertEquals(2 * k, lines.size());
    }

    @Test
    void aDamagedNewestCheckpointIsSkipped() throws Exception {
        String data = TestData.writeIdx(dir, 64).toString();
        Pretrainer.Result r = new Pretrainer(tiny(data, 4), dir.resolve("run"), null)
                .run(() -> false, quiet(new ArrayList<>()));
        Path checkpoints = dir.resolve("run/checkpoints");
        assertEquals(List.of("step-00000004", "step-00000002"),
                CheckpointFolders.list(checkpoints).stream().map(p -> p.getFileName().toString()).toList());
        Path model = r.lastCheckpoint().resolve(CheckpointFolders.MODEL);
        byte[] bytes = Files.readAllBytes(model);
        bytes[bytes.length - 5] ^= 0x40;   // one flipped bit in the weights
        Files.write(model, bytes);
        List<String> warnings = new ArrayList<>();
        Path chosen = CheckpointFolders.latestValid(checkpoints, warnings::add).orElseThrow();
        assertEquals("step-00000002", chosen.getFileName().toString());
        assertEquals(1, warnings.size());
        assertTrue(warnings.get(0).contains("damaged"), warnings.get(0));
    }
}
