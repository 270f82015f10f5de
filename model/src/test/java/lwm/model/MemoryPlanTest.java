package lwm.model;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class MemoryPlanTest {
    static final LlamaConfig LWM_7B = Presets.get("lwm-7b");
    static final long GIB = 1L << 30;

    @Test
    void kvCacheOfA7bAtOneMillionTokens() {
        MemoryPlan p = MemoryPlan.of(LWM_7B, 13_476_831_232L, 1 << 20, KvCache.Storage.BF16, 512, 8 * GIB, 24 * GIB);
        // 32 layers x (k + v) x 4096 x 2 bytes per token = 512 KiB per token -> 512 GiB
        assertEquals(512.0, (p.kvBytes() - 4L * (1 << 20)) / (double) GIB, 1e-9);
        assertFalse(p.fits());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, p::check);
        assertTrue(e.getMessage().contains("context 1048576"), e.getMessage());
        assertTrue(e.getMessage().contains("at most " + p.maxContext() + " tokens fit"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void whatItSaysFitsDoesFitAndOneMoreTokenDoesNot() {
        long heap = 8 * GIB, phys = 24 * GIB;
        MemoryPlan big = MemoryPlan.of(LWM_7B, 13_476_831_232L, 1 << 20, KvCache.Storage.F32, 512, heap, phys);
        int max = big.maxContext();
        assertTrue(max > 1000 && max < 20000, "max " + max);
        assertTrue(MemoryPlan.of(LWM_7B, 13_476_831_232L, max, KvCache.Storage.F32, 512, heap, phys).fits());
        assertFalse(MemoryPlan.of(LWM_7B, 13_476_831_232L, max + 1, KvCache.Storage.F32, 512, heap, phys).fits());
        // bf16 storage fits about twice as many tokens
        int maxBf16 = MemoryPlan.of(LWM_7B, 13_476_831_232L, 1 << 20, KvCache.Storage.BF16, 512, heap, phys).maxContext();
        assertEquals(2.0, maxBf16 / (double) max, 0.05);
    }

    @Test
    void weightsBiggerThanTheMachineAreRefused() {
        MemoryPlan p = MemoryPlan.of(LWM_7B, 30 * GIB, 2048, KvCache.Storage.BF16, 512, 8 * GIB, 24 * GIB);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, p::check);
        assertTrue(e.getMessage().contains("weights"), e.getMessage());
    }

    @Test
    void aSmallRunFits() {
        MemoryPlan p = MemoryPlan.of(Presets.get("tiny"), 1 << 20, 4096, KvCache.Storage.F32, 512, GIB, 24 * GIB);
        assertDoesNotThrow(p::check);
    }
}
