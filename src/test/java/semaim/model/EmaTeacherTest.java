package semaim.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

import semaim.io.ModelWeights;
import semaim.target.TargetConfig;
import semaim.torch.Tensors;

class EmaTeacherTest {
    @Test
    void oneUpdateIsExactlyTimmsFormula() {
        SemAimModel student = TinyModels.model(4, TargetConfig.reference());
        double decay = 0.9;
        EmaTeacher ema = new EmaTeacher(student, decay);
        Map<String, float[]> before = new LinkedHashMap<>();
        ema.state().forEach((k, v) -> before.put(k, Tensors.toFloats(v)));
        assertEquals(ModelWeights.stateDict(student).get("blocks.0.attn.qkv.weight").numel(),
                ema.state().get("blocks.0.attn.qkv.weight").numel(), "it starts as the student's encoder");
        for (Tensor p : Tensors.list(student.parameters())) {          // the student moves
            Tensors.assign(p, p.add(torch.randn(p.sizes()).mul(Tensors.scalar(0.1))));
        }
        ema.update(student);
        Map<String, Tensor> s = ModelWeights.stateDict(student);
        float d = (float) decay, rest = (float) (1.0 - decay);
        int checked = 0;
        for (Map.Entry<String, Tensor> e : ema.state().entrySet()) {
            float[] old = before.get(e.getKey()), st = Tensors.toFloats(s.get(e.getKey()));
            float[] expected = new float[old.length];
            for (int i = 0; i < old.length; i++) {
                expected[i] = old[i] * d + st[i] * rest;              // ema_v * decay + (1 - decay) * model_v, fp32
            }
            assertArrayEquals(expected, Tensors.toFloats(e.getValue()), e.getKey());
            checked++;
        }
        assertEquals(ema.state().size(), checked);
    }
}
