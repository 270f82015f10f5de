package lwm.tensor.safetensors;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import lwm.tensor.Convert;
import lwm.tensor.DType;
import lwm.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bytes across implementations: a hand-written Python safetensors writer/reader (src/test/resources/
 * safetensors_cross.py) with torch's bf16/f16 rounding on one side, lwm on the other.
 */
class SafetensorsPythonTest {
    static final ValueLayout.OfShort S16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    @TempDir Path dir;

    /** A python3 with numpy, preferring one that also has torch (the Debian one here; pyenv's may lack it). */
    static String python() throws IOException, InterruptedException {
        String fallback = null;
        for (String p : List.of("/usr/bin/python3", "python3")) {
            Result r = run(List.of(p, "-c", "import numpy, importlib.util; print('torch' if importlib.util.find_spec('torch') else 'numpy')"));
            if (r == null || r.code != 0) continue;
            if (r.out.strip().equals("torch")) return p;
            if (fallback == null) fallback = p;
        }
        return fallback;
    }

    record Result(int code, String out) {}

    static Result run(List<String> cmd) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            return null; // no such executable
        }
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("timed out: " + cmd);
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    static short[] shorts(MemorySegment s) {
        short[] out = new short[(int) (s.byteSize() / 2)];
        MemorySegment.copy(s, S16, 0, out, 0, out.length);
        return out;
    }

    static boolean isNaN(short h, boolean f16) {
        return f16 ? (h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0 : (h & 0x7f80) == 0x7f80 && (h & 0x7f) != 0;
    }

    @Test
    void bytesAgreeWithPythonBothWays() throws Exception {
        String python = python();
        assumeTrue(python != null, "no python3 with numpy");
        Path script = dir.resolve("safetensors_cross.py");
        try (InputStream in = getClass().getResourceAsStream("/safetensors_cross.py")) {
            Files.copy(in, script);
        }
        long seed = System.nanoTime() & 0xffffffffL;
        // one python process (torch imports slowly): it writes its files, waits for ours, checks it
        Path fixture = Path.of(System.getProperty("lwm.root"), "..", "shared", "fixtures", "tiny-lwm-f32", "model.safetensors");
        Process py = new ProcessBuilder(python, script.toString(), "serve", dir.toString(), Long.toString(seed), fixture.toString())
                .redirectErrorStream(true).start();
        try {
            var lines = new java.io.BufferedReader(new java.io.InputStreamReader(py.getInputStream(), StandardCharsets.UTF_8));
            StringBuilder log = new StringBuilder();
            String l;
            while ((l = lines.readLine()) != null && !l.equals("READY")) log.append(l).append('\n');
            assertNotNull(l, "python stopped before writing its files:\n" + log);
            checkFixtureHashes(fixture, log.toString());
            compareAndWriteBack(py, lines, seed);
        } finally {
            py.destroyForcibly();
        }
    }

    /** Every tensor of the PyTorch-written fixture has the bytes Python's own parser finds for it. */
    private static void checkFixtureHashes(Path fixture, String log) throws Exception {
        java.util.Map<String, String> theirs = new java.util.TreeMap<>();
        for (String line : log.split("\n")) {
            String[] f = line.split(" ");
            if (f.length == 3 && f[0].equals("SHA256")) theirs.put(f[1], f[2]);
        }
        try (SafetensorsFile f = SafetensorsFile.open(fixture)) {
            assertEquals(new java.util.TreeSet<>(f.names()), theirs.keySet(), log);
            for (String name : f.names()) {
                var md = java.security.MessageDigest.getInstance("SHA-256");
                md.update(f.tensor(name).segment().asByteBuffer());
                assertEquals(theirs.get(name), java.util.HexFormat.of().formatHex(md.digest()), name);
            }
        }
    }

    private void compareAndWriteBack(Process py, java.io.BufferedReader lines, long seed) throws Exception {

        try (SafetensorsFile values = SafetensorsFile.open(dir.resolve("py_values.safetensors"));
             SafetensorsFile half = SafetensorsFile.open(dir.resolve("py_half.safetensors"));
             Arena arena = Arena.ofConfined()) {
            assertEquals("python", half.metadata().get("creator"));
            float[] x = values.tensor("x").toFloatArray();
            // lwm's rounding equals torch's (numpy's without torch) on ties, subnormals, overflow; NaN stays NaN
            for (boolean f16 : new boolean[] {false, true}) {
                short[] theirs = shorts(half.bytes(f16 ? "x.f16" : "x.bf16"));
                short[] ours = f16 ? Convert.toF16(x) : Convert.toBf16(x);
                assertEquals(theirs.length, ours.length);
                for (int i = 0; i < ours.length; i++) {
                    if (isNaN(theirs[i], f16)) assertTrue(isNaN(ours[i], f16), "NaN at " + i);
                    else assertEquals(theirs[i] & 0xffff, ours[i] & 0xffff, (f16 ? "f16" : "bf16") + " of 0x"
                            + Integer.toHexString(Float.floatToRawIntBits(x[i])) + " (element " + i + ", seed " + seed + ", rounding by "
                            + half.metadata().get("rounding") + ")");
                }
            }
            // python-written 16-bit matrices read back as what they encode
            Tensor m = values.tensor("m");
            assertArrayEquals(new long[] {3, 5}, m.shape());
            assertEquals(DType.BF16, half.tensor("m.bf16").dtype());
            assertArrayEquals(m.to(DType.BF16, arena).toFloatArray(), half.tensor("m.bf16").toFloatArray());
            assertArrayEquals(m.to(DType.F16, arena).toFloatArray(), half.tensor("m.f16").toFloatArray());
            assertEquals((float) Integer.MIN_VALUE, values.tensor("ints").getFlat(0));
            assertEquals(Long.MAX_VALUE, values.tensor("ids").segment().getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, 3));

            // and back: python parses lwm's file by hand and checks its bytes against torch's rounding
            Tensor xs = values.tensor("x");
            Map<String, Tensor> out = new java.util.LinkedHashMap<>();
            out.put("x.bf16", xs.to(DType.BF16, arena));
            out.put("x.f16", xs.to(DType.F16, arena));
            out.put("m.t", m.transpose(0, 1)); // a strided view, gathered by the writer
            out.put("ints", values.tensor("ints"));
            out.put("ids", values.tensor("ids"));
            Path mine = dir.resolve("lwm.safetensors");
            SafetensorsWriter.write(mine, out, Map.of("creator", "lwm"));
            try (var w = py.outputWriter(StandardCharsets.UTF_8)) {
                w.write(mine + "\n");
            }
            String rest = String.join("\n", lines.lines().toList());
            assertTrue(py.waitFor(120, TimeUnit.SECONDS), "python check timed out");
            assertEquals(0, py.exitValue(), rest);
            assertTrue(rest.contains("OK 5 tensors"), rest);
        }
    }
}
