package lwm.model.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** AdamW (clip, bias correction, decoupled decay on matrices only) and the schedules against their definitions. */
class AdamWTest {

    @Test void matchesTorchAdamWWithGlobalNormClipping(@TempDir Path dir) throws Exception {
        SplittableRandom r = new SplittableRandom(System.nanoTime());
        Param w = new Param("w", 5, 7), g = new Param("g", 7);
        List<Param> ps = List.of(w, g);
        for (Param p : ps) for (int i = 0; i < p.size(); i++) p.data[i] = (float) (r.nextDouble() * 2 - 1);
        ObjectMapper json = new ObjectMapper();
        ObjectNode c = json.createObjectNode();
        ObjectNode params = c.putObject("params");
        for (Param p : ps) {
            ObjectNode o = params.putObject(p.name);
            ArrayNode d = o.putArray("data");
            for (float f : p.data) d.add(f);
            o.put("decay", !p.isVector());
        }
        double[] lrs = {1e-2, 3e-2, 2e-2, 5e-3};
        ArrayNode grads = c.putArray("grads"), lr = c.putArray("lrs");
        AdamW opt = new AdamW(ps, 0.9, 0.95, 1e-8, 0.1, 1.0);
        for (int s = 0; s < lrs.length; s++) {
            ArrayNode step = grads.addArray();
            double scale = s % 2 == 0 ? 5 : 0.01; // above and below the clipping norm
            for (Param p : ps) {
                ArrayNode a = step.addArray();
                for (int i = 0; i < p.size(); i++) { p.grad[i] = (float) (scale * (r.nextDouble() * 2 - 1)); a.add(p.grad[i]); }
            }
            lr.add(lrs[s]);
            opt.update(lrs[s]);
        }
        c.putArray("betas").add(0.9).add(0.95);
        c.put("eps", 1e-8).put("weight_decay", 0.1).put("clip", 1.0);
        Path in = dir.resolve("in.json"), out = dir.resolve("out.json");
        json.writeValue(in.toFile(), c);
        Path script = Path.of(AdamWTest.class.getResource("/train/adamw_reference.py").toURI());
        Process p = new ProcessBuilder("/usr/bin/python3", script.toString(), in.toString(), out.toString()).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0, log);
        JsonNode ref = json.readTree(Files.readString(out));
        for (Param q : ps)
            for (int i = 0; i < q.size(); i++)
                assertEquals(ref.get(q.name).get(i).asDouble(), q.data[i], 1e-5, q.name + "[" + i + "]");
    }

    @Test void schedulesWarmUpThenHoldOrDecay() {
        LrSchedule constant = new LrSchedule(LrSchedule.Kind.CONSTANT, 4e-5, 4e-5, 100, 1200);
        assertEquals(0, constant.at(0));
        assertEquals(2e-5, constant.at(50), 1e-18);
        assertEquals(4e-5, constant.at(100));
        assertEquals(4e-5, constant.at(1199));
        LrSchedule cosine = new LrSchedule(LrSchedule.Kind.COSINE, 6e-4, 6e-5, 1000, 45000);
        assertEquals(6e-4, cosine.at(1000), 1e-15);
        assertEquals((6e-4 + 6e-5) / 2, cosine.at(23000), 1e-12);
        assertEquals(6e-5, cosine.at(45000), 1e-15);
        assertEquals(6e-5, cosine.at(50000), 1e-15);
    }
}
