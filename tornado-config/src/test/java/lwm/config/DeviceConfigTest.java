package lwm.config;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class DeviceConfigTest {
    @Test
    void embeddedDefaultIsCpuAndFlagsCarryTheVectorModule() {
        DeviceConfig c = DeviceConfig.resolve(null);
        assertTrue(c.cpuThreads() >= 1);
        assertTrue(JvmFlags.flags().contains("jdk.incubator.vector"));
        assertTrue(JvmFlags.all().stream().anyMatch(f -> f.startsWith("-Xmx")));
    }

    @Test
    void deviceFlagSelectsOpenClIndex() {
        DeviceConfig c = DeviceConfig.resolve(null).withDevice("opencl:2");
        assertEquals("opencl", c.backend());
        assertEquals(2, c.opencl().device());
        assertTrue(c.withDevice("cpu").isCpu());
    }

    @Test
    void badInputGivesOneLineErrorsNamingTheField() {
        var e = assertThrows(IllegalArgumentException.class, () -> DeviceConfig.resolve(null).withDevice("cuda:0"));
        assertTrue(e.getMessage().contains("--device"), e.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class,
                () -> DeviceConfig.parse("{\"backend\":\"tpu\"}".getBytes(StandardCharsets.UTF_8), "x.json"));
        assertTrue(e2.getMessage().contains("backend"), e2.getMessage());
        var e3 = assertThrows(IllegalArgumentException.class,
                () -> DeviceConfig.parse("{\"backendd\":\"cpu\"}".getBytes(StandardCharsets.UTF_8), "x.json"));
        assertTrue(e3.getMessage().startsWith("x.json"), e3.getMessage());
        assertFalse(e3.getMessage().contains("\n"));
    }
}
