package lwm.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The real llama-tokenizer.js is not available offline, so the test writes one in the package's documented
 * encoding (data-conversion.py) from the fixture's vocabulary and merges, imports it and checks the rebuilt
 * tokenizer.json against the fixture's reference encodings.
 */
class Llama2TokenizerImportTest {
    @TempDir Path tmp;

    private static String fakeJs(JsonNode tokenizerJson, String quote) {
        JsonNode model = tokenizerJson.get("model");
        List<String> vocab = new ArrayList<>();
        model.get("vocab").fields().forEachRemaining(e -> vocab.add(e.getKey()));
        java.util.Map<String, Integer> index = new java.util.HashMap<>();
        for (int i = 0; i < vocab.size(); i++) index.put(vocab.get(i), i);
        ByteArrayOutputStream merges = new ByteArrayOutputStream();
        for (JsonNode m : model.get("merges")) {
            String[] ab = m.asText().split(" ");
            for (String t : ab) { int id = index.get(t); merges.write(id & 0xff); merges.write(id >>> 8); }
        }
        String v64 = Base64.getEncoder().encodeToString(String.join("\n", vocab).getBytes(StandardCharsets.UTF_8));
        String m64 = Base64.getEncoder().encodeToString(merges.toByteArray());
        return "const llamaTokenizer = {}\nconst vocab_base64 = " + quote + v64 + quote + "\n\nconst merges_binary = "
                + quote + m64 + quote + "\nexport default llamaTokenizer\n";
    }

    @Test
    void importedTokenizerEncodesTheReferenceTextsIdentically() throws Exception {
        Path fixture = Fixtures.dir("tokenizer-sp-bpe");
        JsonNode original = new ObjectMapper().readTree(fixture.resolve("tokenizer.json").toFile());
        Path js = tmp.resolve("llama-tokenizer.js");
        Files.writeString(js, fakeJs(original, "'"));
        Path out = tmp.resolve("out/tokenizer.json");
        Llama2TokenizerImport.write(Llama2TokenizerImport.fromJs(js), out);
        Tokenizer tok = Tokenizers.load(out);
        JsonNode ref = new ObjectMapper().readTree(fixture.resolve("reference.json").toFile());
        for (JsonNode c : ref) {
            int[] want = SentencePieceReference.ints(c.get("ids"));
            assertArrayEquals(want, tok.encode(c.get("text").asText(), true), c.get("text").asText());
            assertEquals(c.get("decoded").asText(), tok.decode(want));
        }
        try (var files = Files.list(out.getParent())) { assertEquals(1, files.count(), "no temp file left behind"); }
    }

    @Test
    void brokenFilesAreOneLineErrors() throws Exception {
        Path js = tmp.resolve("x.js");
        Files.writeString(js, "const vocab_base64 = \"PHVuaz4KPHM+Cjwvcz4=\"\n");
        var e = assertThrows(TokenizerFormatException.class, () -> Llama2TokenizerImport.fromJs(js));
        assertTrue(e.getMessage().contains("merges_binary") && e.getMessage().contains("x.js"), e.getMessage());
        Files.writeString(js, "const vocab_base64 = \"PHVuaz4KPHM+Cjwvcz4=\"\nconst merges_binary = \"AAAB\"\n");
        e = assertThrows(TokenizerFormatException.class, () -> Llama2TokenizerImport.fromJs(js));
        assertTrue(e.getMessage().contains("multiple of 4"), e.getMessage());
        Files.writeString(js, "const vocab_base64 = \"PHVuaz4KPHM+Cjwvcz4=\"\nconst merges_binary = \"AAAJAA==\"\n");
        e = assertThrows(TokenizerFormatException.class, () -> Llama2TokenizerImport.fromJs(js));
        assertTrue(e.getMessage().contains("beyond the 3-token vocabulary"), e.getMessage());
        Files.writeString(js, "const vocab_base64 = \"aGVsbG8=\"\nconst merges_binary = \"\"\n");
        e = assertThrows(TokenizerFormatException.class, () -> Llama2TokenizerImport.fromJs(js));
        assertTrue(e.getMessage().contains("not a LLaMA vocabulary"), e.getMessage());
    }
}
