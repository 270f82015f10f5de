package lwm.model.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import lwm.model.data.PackedRow;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs {@code llama_reference.py} (PyTorch autograd, float64) on the Java model's weights and rows. */
final class TorchReference {
    static final ObjectMapper JSON = new ObjectMapper();

    record Result(double loss, Map<String, double[]> grads) {}

    static Path script() throws Exception {
        return Path.of(TorchReference.class.getResource("/train/llama_reference.py").toURI());
    }

    static Result run(TrainableLlama m, List<PackedRow> rows, Path dir) throws Exception {
        var c = m.config();
        ObjectNode root = JSON.createObjectNode();
        ObjectNode cfg = root.putObject("config");
        cfg.put("layers", c.layers()).put("heads", c.heads()).put("kv_heads", c.kvHeads()).put("head_dim", c.headDim())
                .put("eps", (double) c.rmsNormEps()).put("theta", c.ropeTheta()).put("tie", c.tieWordEmbeddings());
        ObjectNode ps = root.putObject("params");
        for (Param p : m.params()) {
            ObjectNode o = ps.putObject(p.name);
            ArrayNode sh = o.putArray("shape");
            for (long s : p.shape) sh.add(s);
            ArrayNode d = o.putArray("data");
            for (float f : p.data) d.add(f);
        }
        ArrayNode rs = root.putArray("rows");
        for (PackedRow r : rows) {
            ObjectNode o = rs.addObject();
            ints(o.putArray("tokens"), r.tokens());
            ints(o.putArray("targets"), r.targets());
            ints(o.putArray("segments"), r.segments());
            ints(o.putArray("positions"), r.positions());
            ArrayNode mk = o.putArray("loss_mask");
            for (float f : r.lossMask()) mk.add(f);
        }
        Path in = dir.resolve("case.json"), out = dir.resolve("ref.json");
        JSON.writeValue(in.toFile(), root);
        Process p = new ProcessBuilder("/usr/bin/python3", script().toString(), in.toString(), out.toString())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) throw new AssertionError("torch reference failed: " + log);
        JsonNode r = JSON.readTree(Files.readString(out));
        Map<String, double[]> grads = new LinkedHashMap<>();
        r.get("grads").fields().forEachRemaining(e -> {
            double[] g = new double[e.getValue().size()];
            for (int i = 0; i < g.length; i++) g[i] = e.getValue().get(i).asDouble();
            grads.put(e.getKey(), g);
        });
        return new Result(r.get("loss").asDouble(), grads);
    }

    private static void ints(ArrayNode a, int[] v) { for (int x : v) a.add(x); }
}
