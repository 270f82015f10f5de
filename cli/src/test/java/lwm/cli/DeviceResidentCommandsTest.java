package lwm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import lwm.model.LlamaCheckpoint;
import lwm.tensor.DType;
import lwm.tensor.Tensor;
import lwm.tensor.safetensors.SafetensorsWriter;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * generate, logits and chat with {@code --device opencl:0} (PoCL here): one process runs the device-resident
 * model, and its output equals the CPU path's token for token, its logits within 1e-4, for the f32 fixture and
 * for the same weights stored as bf16. Like the other OpenCL tests, skipped only with {@code LWM_NO_OPENCL=1}.
 */
class DeviceResidentCommandsTest {
    static final Path FIX = ModelCommandsTest.FIX;
    static final ObjectMapper JSON = new ObjectMapper();
    static final String DEVICE = "opencl:" + (System.getenv("LWM_OPENCL_DEVICE") == null || System.getenv("LWM_OPENCL_DEVICE").isBlank()
            ? "0" : System.getenv("LWM_OPENCL_DEVICE").trim());
    static final String RESIDENT = "device-resident weights and KV cache";

    @TempDir static Path tmp;
    static Path bf16;
    static JsonNode ref;

    @BeforeAll
    static void setUp() throws Exception {
        Assumptions.assumeFalse("1".equals(System.getenv("LWM_NO_OPENCL")), "LWM_NO_OPENCL=1: OpenCL tests skipped on purpose");
        ref = JSON.readTree(FIX.resolve("reference.json").toFile());
        // the fixture's weights rounded to bf16: both paths then read the same 16-bit values
        bf16 = tmp.resolve("tiny-bf16");
        java.nio.file.Files.createDirectories(bf16);
        try (LlamaCheckpoint ck = LlamaCheckpoint.load(FIX); Arena arena = Arena.ofConfined()) {
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (var e : ck.weights().named().entrySet())
                out.put(e.getKey(), Tensor.fromFloats(arena, DType.BF16, e.getValue().toFloatArray(), e.getValue().shape()));
            SafetensorsWriter.write(bf16.resolve("model.safetensors"), out);
            ck.config().write(bf16.resolve("config.json"), "bfloat16");
        }
        try (LlamaCheckpoint ck = LlamaCheckpoint.load(bf16)) { assertEquals(DType.BF16, ck.weights().dtype()); }
    }

    static int[] ints(JsonNode a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.get(i).asInt();
        return r;
    }

    static String csv(int[] ids) {
        StringBuilder s = new StringBuilder();
        for (int id : ids) s.append(s.isEmpty() ? "" : ",").append(id);
        return s.toString();
    }

    static ModelCommandsTest.Run ok(String... argv) {
        ModelCommandsTest.Run r = ModelCommandsTest.run(argv);
        assertEquals(0, r.code(), r.err());
        return r;
    }

    /** The run on the device, checked to have taken the device-resident path, and the same run on the CPU. */
    static JsonNode[] onBoth(String... argv) throws Exception {
        String[] dev = java.util.Arrays.copyOf(argv, argv.length + 2), cpu = java.util.Arrays.copyOf(argv, argv.length + 2);
        dev[argv.length] = cpu[argv.length] = "--device";
        dev[argv.length + 1] = DEVICE;
        cpu[argv.length + 1] = "cpu";
        ModelCommandsTest.Run d = ok(dev), c = ok(cpu);
        assertTrue(d.err().contains("kernels opencl(") && d.err().contains(RESIDENT), d.err());
        assertFalse(c.err().contains(RESIDENT), c.err());
        return new JsonNode[] {JSON.readTree(d.out()), JSON.readTree(c.out())};
    }

    static void assertLogitsClose(JsonNode want, JsonNode got, String what) {
        assertEquals(want.get("argmax"), got.get("argmax"), what + ": argmax");
        JsonNode a = want.get("last_logits"), b = got.get("last_logits");
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            double x = a.get(i).asDouble(), y = b.get(i).asDouble();
            if (!(Math.abs(x - y) <= 1e-4 * (1 + Math.abs(x)))) fail(what + ": logit " + i + " cpu " + x + " device " + y);
        }
    }

    @Test
    void greedyGenerationOnTheDeviceIsTransformersOutput() throws Exception {
        JsonNode g = ref.get("greedy");
        int newTokens = g.get("output").size() - g.get("prompt").size();
        // a 4-token prompt in chunks of 3, then 23 decode steps, each appending to the device KV cache
        ModelCommandsTest.Run r = ok("generate", "--model", FIX.toString(), "--ids", csv(ints(g.get("prompt"))),
                "--max-new-tokens", "" + newTokens, "--json", "--prefill-chunk", "3", "--device", DEVICE);
        assertTrue(r.err().contains(RESIDENT), r.err());
        assertEquals(g.get("output"), JSON.readTree(r.out()).get("output_ids"));
    }

    @Test
    void longPromptInChunksThenDecodeEqualsCpu() throws Exception {
        int[] prompt = ints(ref.get("logits").get(2).get("input_ids"));
        assertEquals(301, prompt.length);
        JsonNode[] r = onBoth("generate", "--model", FIX.toString(), "--ids", csv(prompt), "--max-new-tokens", "20", "--json",
                "--prefill-chunk", "128");
        assertEquals(r[1].get("output_ids"), r[0].get("output_ids"));
        assertEquals(321, r[0].get("output_ids").size());
    }

    @Test
    void logitsOnTheDeviceEqualCpuAndTransformers() throws Exception {
        for (JsonNode seq : ref.get("logits")) {
            int n = seq.get("input_ids").size();
            JsonNode[] r = onBoth("logits", "--model", FIX.toString(), "--ids", csv(ints(seq.get("input_ids"))), "--json",
                    "--prefill-chunk", "100");
            assertLogitsClose(r[1], r[0], n + " tokens");
            assertEquals(seq.get("argmax"), r[0].get("argmax"), n + " tokens: transformers' argmax");
            double num = 0, den = 0;
            for (int i = 0; i < seq.get("last_logits").size(); i++) {
                double w = seq.get("last_logits").get(i).asDouble(), d = r[0].get("last_logits").get(i).asDouble() - w;
                num += d * d;
                den += w * w;
            }
            assertTrue(Math.sqrt(num / den) < 1e-4, n + " tokens: relative L2 to transformers " + Math.sqrt(num / den));
        }
    }

    @Test
    void bf16WeightsOnTheDeviceEqualCpu() throws Exception {
        JsonNode g = ref.get("greedy");
        JsonNode[] gen = onBoth("generate", "--model", bf16.toString(), "--ids", csv(ints(g.get("prompt"))), "--max-new-tokens", "24",
                "--json", "--prefill-chunk", "3");
        assertEquals(gen[1].get("output_ids"), gen[0].get("output_ids"));
        JsonNode seq = ref.get("logits").get(1);
        JsonNode[] lg = onBoth("logits", "--model", bf16.toString(), "--ids", csv(ints(seq.get("input_ids"))), "--json", "--prefill-chunk", "16");
        assertLogitsClose(lg[1], lg[0], "bf16 weights");
    }

    @Test
    void chatOnTheDeviceEqualsCpuAcrossTurnsAndAReset() {
        // turn 2 reuses the device cache up to the common prefix (a truncate), /reset empties it
        String input = "What is a world model?\nAnd why?\n/reset\nHello\n/exit\n";
        ModelCommandsTest.Run d = ChatCommandTest.chat(input, "--device", DEVICE), c = ChatCommandTest.chat(input, "--device", "cpu");
        assertEquals(0, d.code(), d.err());
        assertEquals(0, c.code(), c.err());
        assertTrue(d.err().contains(RESIDENT), d.err());
        assertEquals(3, d.out().split("ASSISTANT:", -1).length - 1, d.out());
        assertEquals(c.out(), d.out());
    }

    @Test
    void aContextTheRunOrTheDeviceCannotHoldIsAOneLineError() {
        ModelCommandsTest.Run r = ModelCommandsTest.run("generate", "--model", FIX.toString(), "--ids", "1,2,3", "--max-new-tokens", "30",
                "--context", "16", "--device", DEVICE);
        assertEquals(2, r.code());
        assertTrue(lastLine(r.err()).equals("lwm generate: --context 16 is smaller than the 33 tokens this run needs"), r.err());
        // the tiny model's cache is 516 bytes a token: 10^9 tokens are past any device and past the 32-bit offsets
        r = ModelCommandsTest.run("logits", "--model", FIX.toString(), "--ids", "1,2,3", "--context", "1000000000", "--device", DEVICE);
        assertEquals(2, r.code());
        assertTrue(lastLine(r.err()).matches("lwm logits: context 1000000000 .*: at most \\d+ tokens .*"), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
        r = ModelCommandsTest.run("logits", "--model", FIX.toString(), "--ids", "1,2,3", "--kv-dtype", "bf16", "--device", DEVICE);
        assertEquals(2, r.code());
        assertTrue(lastLine(r.err()).startsWith("lwm logits: --kv-dtype bf16: the device-resident KV cache is f32"), r.err());
    }

    static String lastLine(String s) {
        String[] lines = s.strip().split("\n");
        return lines[lines.length - 1];
    }
}
