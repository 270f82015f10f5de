package lwm.model.opencl;

import lwm.model.LlamaConfig;
import lwm.model.Presets;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The device memory plan of a device-resident run, on the numbers of an H200 (no OpenCL needed). */
class DevicePlanTest {
    static final LlamaConfig LWM_7B = Presets.get("lwm-7b");
    static final long GIB = 1L << 30, WEIGHTS = 13_476_831_232L, EMBED = 32000L * 4096 * 2;
    static final long H200 = (long) (139.8 * GIB), H200_ALLOC = (long) (34.95 * GIB), HEAP = 8 * GIB;

    static DevicePlan plan(int context, int chunk, long device, long alloc) {
        return DevicePlan.of(LWM_7B, WEIGHTS, EMBED, context, chunk, "H200", device, alloc, HEAP);
    }

    @Test
    void kvCacheIsOneMebibytePerTokenAndTheLimitIsExact() {
        // 32 layers x (k + v) x 4096 x 4 bytes, plus the token's position
        assertEquals(32L * 2 * 4096 * 4 + 4, plan(1, 1, H200, H200_ALLOC).kvBytes());
        int max = plan(1 << 20, 512, H200, H200_ALLOC).maxContext();
        // 95% of 139.8 GiB less 12.55 GiB of weights and one chunk's activations: about 120K tokens
        assertTrue(max > 115_000 && max < 125_000, "max " + max);
        assertTrue(plan(max, 512, H200, H200_ALLOC).fits());
        assertFalse(plan(max + 1, 512, H200, H200_ALLOC).fits());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> plan(200_000, 512, H200, H200_ALLOC).check());
        assertTrue(e.getMessage().contains("at most " + max + " tokens fit"), e.getMessage());
        assertTrue(e.getMessage().contains("H200"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void oneLayersKeysMustFitTheLargestBufferAndTheKernelsIntOffsets() {
        // a device with plenty of memory but 1 GiB buffers: 1 GiB / (4096 x 4 bytes) = 65536 tokens per layer buffer
        long huge = 4096 * GIB;
        assertEquals(65536, plan(1 << 20, 512, huge, GIB).maxContext());
        assertTrue(plan(65536, 512, huge, GIB).fits());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> plan(65537, 512, huge, GIB).check());
        assertTrue(e.getMessage().contains("largest buffer") && e.getMessage().contains("at most 65536"), e.getMessage());
        // unlimited buffers: the 32-bit element offsets bound a layer's cache to 2^31 - 9 floats
        assertEquals(DevicePlan.MAX_ELEMENTS / 4096, plan(1 << 20, 512, huge, huge).maxContext());
        e = assertThrows(IllegalArgumentException.class, () -> plan(1 << 20, 512, huge, huge).check());
        assertTrue(e.getMessage().contains("32-bit"), e.getMessage());
    }

    @Test
    void weightsBiggerThanTheDeviceAreRefusedWhateverTheContext() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> plan(16, 16, 12 * GIB, 3 * GIB).check());
        assertTrue(e.getMessage().contains("weights") && e.getMessage().contains("--device cpu"), e.getMessage());
    }

    @Test
    void theHeapHoldsOneChunksLogits() {
        // 8192 tokens x 32000 logits x 4 bytes = 1 GiB of logits against a 1 GiB heap
        DevicePlan p = DevicePlan.of(LWM_7B, WEIGHTS, EMBED, 8192, 8192, "H200", H200, H200_ALLOC, GIB);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, p::check);
        assertTrue(e.getMessage().contains("heap") && e.getMessage().contains("--prefill-chunk"), e.getMessage());
    }
}
