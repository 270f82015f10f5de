package lwm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ./lwm generate --ranks N: ring prefill over MPJ ranks, then distributed decode with the KV cache sharded
 * over the ranks: greedy output = transformers' (and so one process), each rank caching ~1/N of the tokens.
 */
class RankedGenerateTest {

    private static void ranksGenerateTheGreedyReference(int ranks, String layout) throws Exception {
        JsonNode g = ModelCommandsTest.JSON.readTree(ModelCommandsTest.FIX.resolve("reference.json").toFile()).get("greedy");
        int promptLength = g.get("prompt").size(), newTokens = g.get("output").size() - promptLength;
        ModelCommandsTest.Run r = ModelCommandsTest.run("generate", "--model", ModelCommandsTest.FIX.toString(), "--ids",
                ModelCommandsTest.ids(g.get("prompt")), "--max-new-tokens", "" + newTokens, "--json", "--ranks", "" + ranks, "--layout", layout);
        assertEquals(0, r.code(), r.out() + r.err());
        JsonNode got = ModelCommandsTest.JSON.readTree(r.out().strip());
        assertEquals(g.get("output"), got.get("output_ids"));
        assertTrue(r.err().contains("ring prefill of " + (promptLength - 1) + " tokens on " + ranks + " ranks"), r.err());
        Matcher m = Pattern.compile("KV cache shards of \\[([0-9, ]+)] tokens").matcher(r.err());
        assertTrue(m.find(), r.err());
        String[] shards = m.group(1).split(", ");
        assertEquals(ranks, shards.length);
        int total = 0, cached = promptLength + newTokens - 1;   // the last sampled token is never fed back
        for (String s : shards) {
            int n = Integer.parseInt(s);
            total += n;
            assertTrue(n <= (cached + ranks - 1) / ranks + 2, "a shard of " + n + " of " + cached + " tokens: " + m.group());
        }
        assertEquals(cached, total, m.group());
    }

    @Test void twoRanksGenerateTheGreedyReference() throws Exception { ranksGenerateTheGreedyReference(2, "striped"); }

    @Test void threeRanksGenerateTheGreedyReference() throws Exception { ranksGenerateTheGreedyReference(3, "zigzag"); }
}
