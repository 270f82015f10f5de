package lwm.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/** The shared fixture: Mistral-vocabulary tokenizer.json, ids and decodes made by Hugging Face transformers. */
class HfFixtureTest {

    @Test
    void everyReferenceTextEncodesAndDecodesIdentically() throws Exception {
        var dir = Fixtures.dir("tokenizer-sp-bpe");
        Tokenizer tok = Tokenizers.load(dir.resolve("tokenizer.json"));
        JsonNode ref = new ObjectMapper().readTree(dir.resolve("reference.json").toFile());
        assertTrue(ref.size() >= 20);
        for (JsonNode c : ref) {
            String text = c.get("text").asText();
            int[] want = SentencePieceReference.ints(c.get("ids"));
            assertArrayEquals(want, tok.encode(text, true), () -> "encode " + SentencePieceTokenizerTest.quote(text) + " got " + Arrays.toString(tok.encode(text, true)));
            assertEquals(c.get("decoded").asText(), tok.decode(want), () -> "decode of " + Arrays.toString(want));
        }
        assertEquals(1, tok.bosId());
        assertEquals(2, tok.eosId());
        assertEquals(32000, tok.vocabSize());
        assertEquals(22557, tok.idOf("▁Hello"));
        assertEquals("<0x0A>", tok.pieceOf(13));
        assertTrue(tok.isSpecial(1) && !tok.isSpecial(13));
    }

    @Test
    void directoryWithOnlyTokenizerJsonLoadsIt() {
        Tokenizer tok = Tokenizers.load(Fixtures.dir("tokenizer-sp-bpe"));
        assertInstanceOf(HfTokenizer.class, tok);
        assertArrayEquals(new int[] {1, 22557, 1526}, tok.encode("Hello world", true));
    }
}
