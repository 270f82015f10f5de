package lwm.kernels.opencl;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/**
 * The backend never falls back: a kernel the device cannot compile, a kernel Aparapi cannot translate, a
 * launch with an unbound argument and a device index that does not exist all throw, naming the culprit.
 */
class NoFallbackTest {

    /** Translates fine but does not compile: {@code half} is a type in OpenCL C. */
    public static final class ReservedNameKernel extends ClKernel {
        public float[] x;
        public int half;

        @Override
        public void run() { x[getGlobalId(0)] = half; }
    }

    /** Cannot be translated: Aparapi has no mapping for Float.intBitsToFloat. */
    public static final class UntranslatableKernel extends ClKernel {
        public float[] x;
        public int[] bits;

        @Override
        public void run() { x[getGlobalId(0)] = Float.intBitsToFloat(bits[getGlobalId(0)]); }
    }

    public static final class AddKernel extends ClKernel {
        public float[] x, y;
        public int n;

        @Override
        public void run() {
            int i = getGlobalId(0);
            if (i < n) y[i] = x[i] + 1f;
        }
    }

    @Test
    void compileErrorThrowsWithTheBuildLog() {
        ClContext ctx = OpenClTestDevice.kernels().ops().context();
        OpenClException e = assertThrows(OpenClException.class, () -> ctx.program(ReservedNameKernel.class));
        assertTrue(e.getMessage().contains("ReservedNameKernel does not compile"), e.getMessage());
        assertTrue(e.getMessage().contains("--- generated source ---"), "the error shows the generated source");
    }

    @Test
    void translationErrorThrows() {
        ClContext ctx = OpenClTestDevice.kernels().ops().context();
        OpenClException e = assertThrows(OpenClException.class, () -> ctx.program(UntranslatableKernel.class));
        assertTrue(e.getMessage().contains("cannot translate kernel UntranslatableKernel"), e.getMessage());
    }

    @Test
    void unboundArgumentIsRefusedAndBoundOnesWork() {
        ClContext ctx = OpenClTestDevice.kernels().ops().context();
        ClProgram p = ctx.program(AddKernel.class);
        try (ClBuffer x = ctx.upload(new float[] {1, 2, 3}); ClBuffer y = ctx.alloc(ClBuffer.Type.F32, 3)) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> p.launch().buf("x", x).i("n", 3).run(new long[] {64}, new long[] {64}));
            assertTrue(e.getMessage().contains("argument y not bound"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> p.launch().buf("x", x).buf("y", y).f("n", 3f));
            p.launch().buf("x", x).buf("y", y).i("n", 3).run(new long[] {64}, new long[] {64});
            float[] out = new float[3];
            y.read(0, out, 0, 3);
            assertArrayEquals(new float[] {2, 3, 4}, out);
        }
    }

    @Test
    void missingDeviceIndexNamesWhatExists() {
        OpenClTestDevice.kernels();
        OpenClException e = assertThrows(OpenClException.class, () -> ClContext.open(999));
        assertTrue(e.getMessage().contains("opencl:999 does not exist"), e.getMessage());
    }
}
