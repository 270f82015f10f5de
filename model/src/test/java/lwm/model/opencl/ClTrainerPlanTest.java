package lwm.model.opencl;

import static org.junit.jupiter.api.Assertions.*;

import lwm.kernels.RopeStyle;
import lwm.kernels.opencl.ClDevice;
import lwm.model.LlamaConfig;
import lwm.model.Presets;
import lwm.model.train.TrainStep;
import org.junit.jupiter.api.Test;

/** The device memory check of device-resident training, on described devices (no OpenCL needed). */
class ClTrainerPlanTest {
    static final long GIB = 1L << 30;

    static ClDevice device(long mem, long maxAlloc) {
        return new ClDevice(0, "Test", "Test GPU", "GPU", "OpenCL 3.0", 132, mem, maxAlloc, 48 << 10, 1024, true, null, null);
    }

    @Test
    void sevenBillionParametersAt32kTokensDoNotFitAnH200ButASmallModelDoes() {
        LlamaConfig c = Presets.get("lwm-7b");
        long params = 6_738_415_616L; // LLaMA-2 7B
        TrainStep.Options o = TrainStep.Options.defaults();
        // 16 bytes per parameter (weights, gradients, two moments) alone are 100 GiB
        assertTrue(ClTrainer.deviceBytes(c, params, 32768, o) > 16 * params);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ClTrainer.check(c, params, 32768, o, device(140 * GIB, 35 * GIB)));
        assertTrue(e.getMessage().startsWith("device-resident training at seq_len 32768 needs ") && e.getMessage().contains("Test GPU")
                && !e.getMessage().contains("\n"), e.getMessage());

        LlamaConfig tiny = new LlamaConfig(61, 32, 43, 2, 4, 2, 8, 128, 1e4, 1e-5f, false, 1, 2);
        ClTrainer.check(tiny, 20_000, 128, new TrainStep.Options(16, 16, 20, 15, false, RopeStyle.ROTATE_HALF), device(GIB, GIB / 4));
    }

    @Test
    void aLogitsChunkOverTheLargestBufferIsNamed() {
        LlamaConfig c = Presets.get("lwm-7b");
        TrainStep.Options o = new TrainStep.Options(256, 512, 1024, 8192, false, RopeStyle.ROTATE_HALF);
        // 8192 rows x 32000 vocab x 4 bytes = 0.98 GiB against a 0.5 GiB largest buffer
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ClTrainer.check(c, 1000, 8192, o, device(1000 * GIB, GIB / 2)));
        assertTrue(e.getMessage().contains("largest of 0.50 GiB") && e.getMessage().contains("lm_chunk"), e.getMessage());
    }
}
