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
    void deviceListPutsEachRankOnItsOwnDevice() {
        DeviceConfig c = DeviceConfig.resolve(null).withDevice("opencl:1,0,3");
        assertEquals(1, c.forRank(0).opencl().device());
        assertEquals(0, c.forRank(1).opencl().device());
        assertEquals(3, c.forRank(2).opencl().device());
        assertEquals(1, c.forRank(3).opencl().device(), "more ranks than devices: round robin");
        assertNull(c.forRank(2).opencl().perRank());
        DeviceConfig single = DeviceConfig.resolve(null).withDevice("opencl:2");
        assertEquals(2, single.forRank(5).opencl().device(), "one index: every rank on it");
        assertTrue(single.withDevice("cpu").forRank(3).isCpu());
        DeviceConfig json = DeviceConfig.parse(
                "{\"backend\":\"opencl\",\"opencl\":{\"device\":0,\"perRank\":[2,3]}}".getBytes(StandardCharsets.UTF_8), "d.json");
        assertEquals(3, json.forRank(1).opencl().device());
        for (String bad : new String[] {"opencl:0,", "opencl:-1", "opencl:0,x", "opencl:,1"}) {
            var e = assertThrows(IllegalArgumentException.class, () -> DeviceConfig.resolve(null).withDevice(bad), bad);
            assertTrue(e.getMessage().contains(bad), e.getMessage());
        }
        var e = assertThrows(IllegalArgumentException.class, () -> DeviceConfig.parse(
                "{\"backend\":\"opencl\",\"opencl\":{\"perRank\":[]}}".getBytes(StandardCharsets.UTF_8), "d.json"));
        assertTrue(e.getMessage().startsWith("d.json") && e.getMessage().contains("perRank"), e.getMessage());
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
