package semaim.util;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The machine line tells apart two CPUs of one model name that differ in the kernels they run. */
class MachineTest {
    private static final String ZEN3 = "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 1\n"
            + "model name\t: AMD EPYC\nflags\t\t: fpu sse2 avx avx2 fma\n\nprocessor\t: 1\n";
    private static final String ZEN5 = "processor\t: 0\ncpu family\t: 26\nmodel\t\t: 2\nmodel name\t: AMD EPYC\n"
            + "flags\t\t: fpu avx2 avx512f avx512bw avx512_bf16 avx512_vnni\n";

    @Test
    void namesModelNumbersCpusAndTheVectorInstructions() {
        assertEquals("AMD EPYC (family 25 model 1), 2 CPUs, avx2", Machine.describe(ZEN3, 2));
        assertEquals("AMD EPYC (family 26 model 2), 2 CPUs, avx2 avx512f avx512_bf16", Machine.describe(ZEN5, 2));
    }
}
