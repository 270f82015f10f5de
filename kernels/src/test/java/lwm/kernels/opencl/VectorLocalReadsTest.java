package lwm.kernels.opencl;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** The source rewrite behind {@link VectorLocalReads}; the kernels' results are tested in OpenClKernelsTest (VECTOR layout). */
class VectorLocalReadsTest {
    private static final String DECL = "   __local float as[64] __attribute__((aligned(16)));\n   float r[8];\n";

    @Test
    void matmulVecKernelReadsItsTilesAsFloat4() {
        String code = KernelTranslator.translate(MatmulVecKernel.class).code();
        assertEquals(4, code.split("\\(__local const float4 \\*\\)", -1).length - 1, code);
        assertTrue(code.contains("__local float as[2112] __attribute__((aligned(16)));"), "local tiles must be 16-byte aligned");
        assertFalse(code.matches("(?s).*ra\\[i\\]\\s+= as\\[.*"), "no scalar tile read may remain");
        // the unmarked kernel with the same Java code keeps scalar reads
        assertFalse(KernelTranslator.translate(MatmulWideKernel.class).code().contains("float4"));
    }

    @Test
    void rewritesOnlyLoopsMadeOfFourWideLocalReads() {
        String ok = "      #pragma unroll\n      for (int i = 0; i<4; i++){\n         r[i]  = as[((kk * 8) + i)];\n         r[4 + i]  = as[(((kk * 8) + 4) + i)];\n      }\n";
        String global = "      #pragma unroll\n      for (int i = 0; i<4; i++){\n         r[i]  = g[((kk * 8) + i)];\n      }\n";
        String mixed = "      #pragma unroll\n      for (int j = 0; j<4; j++){\n         r[j]  = as[((kk * 8) + j)];\n         r[j]  = r[j] * 2.0f;\n      }\n";
        String out = KernelTranslator.vectorLocalReads(VectorLocalReadsTest.class, DECL + ok + global + mixed);
        assertTrue(out.contains("float4 lv0_0 = *((__local const float4 *)&as[(kk * 8)]);\n"), out);
        assertTrue(out.contains("float4 lv0_1 = *((__local const float4 *)&as[((kk * 8) + 4)]);\n"), out);
        for (int i = 0; i < 4; i++) {
            assertTrue(out.contains("r[" + i + "] = lv0_0." + "xyzw".charAt(i) + ";"), out);
            assertTrue(out.contains("r[" + (4 + i) + "] = lv0_1." + "xyzw".charAt(i) + ";"), out);
        }
        assertTrue(out.endsWith(global + mixed), "a global read and a loop with other statements stay scalar:\n" + out);
    }

    @Test
    void aMarkWithNothingToRewriteIsAnError() {
        String loop8 = "      #pragma unroll\n      for (int i = 0; i<8; i++){\n         r[i]  = as[((kk * 8) + i)];\n      }\n";
        assertThrows(OpenClException.class, () -> KernelTranslator.vectorLocalReads(VectorLocalReadsTest.class, DECL + loop8));
        assertThrows(OpenClException.class, () -> KernelTranslator.vectorLocalReads(VectorLocalReadsTest.class, "float r[8];\n"));
    }
}
