package lwm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ./lwm logits --ranks N: ring-distributed prefill over MPJ rank JVMs prints what one process prints. */
class RankedLogitsTest {

    @Test
    void threeRanksGiveTheOneProcessLogits() throws Exception {
        JsonNode ref = ModelCommandsTest.JSON.readTree(ModelCommandsTest.FIX.resolve("reference.json").toFile());
        JsonNode seq = null;
        for (JsonNode s : ref.get("logits")) if (s.get("input_ids").size() <= 100 && (seq == null || s.get("input_ids").size() > seq.get("input_ids").size())) seq = s;
        String ids = ModelCommandsTest.ids(seq.get("input_ids"));
        ModelCommandsTest.Run one = ModelCommandsTest.run("logits", "--model", ModelCommandsTest.FIX.toString(), "--ids", ids, "--json");
        assertEquals(0, one.code(), one.err());
        ModelCommandsTest.Run three = ModelCommandsTest.run("logits", "--model", ModelCommandsTest.FIX.toString(), "--ids", ids, "--json",
                "--ranks", "3", "--layout", "zigzag");
        assertEquals(0, three.code(), three.out() + three.err());
        JsonNode a = ModelCommandsTest.JSON.readTree(one.out()), b = ModelCommandsTest.JSON.readTree(three.out().strip());
        assertEquals(a.get("argmax"), b.get("argmax"));
        assertEquals(seq.get("argmax"), b.get("argmax"), "and both equal transformers");
        double num = 0, den = 0;
        for (int i = 0; i < a.get("last_logits").size(); i++) {
            double w = a.get("last_logits").get(i).asDouble(), d = b.get("last_logits").get(i).asDouble() - w;
            num += d * d;
            den += w * w;
        }
        assertTrue(Math.sqrt(num / den) < 1e-5, "relative L2 " + Math.sqrt(num / den));
    }

    @Test
    void aBadModelIsOneLineBeforeAnyRankStarts() {
        ModelCommandsTest.Run r = ModelCommandsTest.run("logits", "--model", "/nonexistent-model", "--ids", "1,2", "--ranks", "2");
        assertEquals(2, r.code(), r.out() + r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(!r.out().contains("[rank"), r.out());
    }
}
