package lwm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** ./lwm generate --ranks N: ring prefill over MPJ ranks, KV gathered on rank 0, greedy decode = transformers. */
class RankedGenerateTest {

    @Test
    void twoRanksGenerateTheGreedyReference() throws Exception {
        JsonNode g = ModelCommandsTest.JSON.readTree(ModelCommandsTest.FIX.resolve("reference.json").toFile()).get("greedy");
        int newTokens = g.get("output").size() - g.get("prompt").size();
        ModelCommandsTest.Run r = ModelCommandsTest.run("generate", "--model", ModelCommandsTest.FIX.toString(), "--ids",
                ModelCommandsTest.ids(g.get("prompt")), "--max-new-tokens", "" + newTokens, "--json", "--ranks", "2", "--layout", "striped");
        assertEquals(0, r.code(), r.out() + r.err());
        JsonNode got = ModelCommandsTest.JSON.readTree(r.out().strip());
        assertEquals(g.get("output"), got.get("output_ids"));
        org.junit.jupiter.api.Assertions.assertTrue(r.err().contains("ring prefill of " + (g.get("prompt").size() - 1) + " tokens on 2 ranks"), r.err());
    }
}
