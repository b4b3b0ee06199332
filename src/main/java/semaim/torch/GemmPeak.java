package semaim.torch;

import java.util.Arrays;
import java.util.List;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The roofline's ceiling: the best throughput the GEMM kernels of a step reach on the step's own shapes, in one
 * precision. A square 1024 x 1024 product (what {@code bench} used before) is not what a step runs: libtorch picks
 * OpenBLAS or oneDNN per shape, and that one product read 105 to 326 GFLOPS fp32 in six runs of the same binary,
 * which let the model FLOP utilisation print 1.85. Here each reading times {@code linear} (the op every Linear layer
 * runs, in bf16 as autocast casts it) on every shape given, keeps the best product per shape, and takes the best
 * shape; {@link #measure} repeats the reading and reports their spread, so an unstable peak shows.
 */
public final class GemmPeak {
    private GemmPeak() {}

    /** One GEMM of a step: {@code (rows x in) . (in x out)}, e.g. the qkv projection of batch x tokens rows. */
    public record Shape(String name, long rows, long in, long out) {
        double flops() {
            return 2.0 * rows * in * out;
        }
    }

    /** The readings, each the best shape's GFLOPS, sorted; the peak is the highest. */
    public record Peak(double[] readingsGflops, String bestShape) {
        public double gflops() {
            return readingsGflops[readingsGflops.length - 1];
        }

        /** (max - min) / max of the readings. */
        public double spread() {
            return (gflops() - readingsGflops[0]) / gflops();
        }
    }

    /** {@code readings} readings of the best of {@code reps} products per shape, after one warm-up product each. */
    public static Peak measure(torch.ScalarType dtype, List<Shape> shapes, int readings, int reps) {
        Torch.init();
        double[] out = new double[readings];
        String best = "";
        try (Scope s = Scope.open()) {
            Tensor[][] operands = new Tensor[shapes.size()][];
            for (int i = 0; i < shapes.size(); i++) {
                Shape sh = shapes.get(i);
                Tensor x = torch.randn(sh.rows(), sh.in()).to(dtype), w = torch.randn(sh.out(), sh.in()).to(dtype);
                Tensor b = torch.randn(sh.out()).to(dtype);
                torch.linear(x, w, b);   // warm-up: oneDNN builds its primitive for the shape on first use
                operands[i] = new Tensor[] {x, w, b};
            }
            for (int r = 0; r < readings; r++) {
                for (int i = 0; i < shapes.size(); i++) {
                    long fastest = Long.MAX_VALUE;
                    for (int k = 0; k < reps; k++) {
                        try (Scope inner = Scope.open()) {
                            long t = System.nanoTime();
                            torch.linear(operands[i][0], operands[i][1], operands[i][2]);
                            fastest = Math.min(fastest, System.nanoTime() - t);
                        }
                    }
                    double gflops = shapes.get(i).flops() / fastest;
                    if (gflops > out[r]) {
                        out[r] = gflops;
                        best = shapes.get(i).name();
                    }
                }
            }
        }
        Arrays.sort(out);
        return new Peak(out, best);
    }
}
