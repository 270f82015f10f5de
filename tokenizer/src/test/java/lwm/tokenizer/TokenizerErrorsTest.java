package lwm.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.*;

/** Broken files give one-line errors that name the file and the field or byte offset. */
class TokenizerErrorsTest {
    @TempDir Path tmp;

    private static void oneLine(TokenizerFormatException e, String... mustContain) {
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        for (String s : mustContain) assertTrue(e.getMessage().contains(s), "'" + e.getMessage() + "' lacks '" + s + "'");
    }

    @Test
    void truncatedModelFilesAreReportedWithTheirNameAndOffset() throws Exception {
        byte[] good = Files.readAllBytes(SentencePieceReference.model("bpe_llama"));
        Path f = tmp.resolve("cut.model");
        int failures = 0;
        for (int len : new int[] {0, 1, 2, 7, 100, good.length / 3, good.length / 2, good.length - 200, good.length - 1}) {
            Files.write(f, Arrays.copyOf(good, len));
            try {
                Tokenizers.load(f);
            } catch (TokenizerFormatException e) {
                oneLine(e, "cut.model");
                failures++;
            }
        }
        // a cut on a field boundary can still parse; every cut here falls inside a field or loses trainer_spec
        assertEquals(9, failures);
    }

    @Test
    void corruptedModelFilesNeverFailOtherwise() throws Exception {
        byte[] good = Files.readAllBytes(SentencePieceReference.model("bpe_nfkc"));
        long seed = new Random().nextLong();
        Random r = new Random(seed);
        Path f = tmp.resolve("bad.model");
        int rejected = 0;
        for (int i = 0; i < 300; i++) {
            byte[] bad = good.clone();
            for (int k = 1 + r.nextInt(4); k > 0; k--) bad[r.nextInt(bad.length)] = (byte) r.nextInt(256);
            Files.write(f, bad);
            try {
                Tokenizer t = Tokenizers.load(f);
                t.decode(t.encode("Hello wörld 日本 🤖 \t x", true));
            } catch (TokenizerFormatException e) {
                oneLine(e, "bad.model");
                rejected++;
            }
        }
        assertTrue(rejected > 0, "seed " + seed);
    }

    @Test
    void missingFilesAndDirectories() throws Exception {
        oneLine(assertThrows(TokenizerFormatException.class, () -> Tokenizers.load(tmp.resolve("nope.model"))), "nope.model", "no such file");
        oneLine(assertThrows(TokenizerFormatException.class, () -> Tokenizers.load(tmp)), tmp.toString(), "tokenizer.model or tokenizer.json");
        Path json = tmp.resolve("x.model");
        Files.writeString(json, "{\"not\": \"a model\"}");
        oneLine(assertThrows(TokenizerFormatException.class, () -> Tokenizers.load(json)), "x.model", "looks like JSON");
    }

    /** A small tokenizer.json in the fixture's layout, so each broken variant is quick to write and read. */
    private static final String SMALL = """
            {"version": "1.0", "added_tokens": [
              {"id": 0, "content": "<unk>", "special": true, "normalized": false},
              {"id": 1, "content": "<s>", "special": true, "normalized": false},
              {"id": 2, "content": "</s>", "special": true, "normalized": false}],
             "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"},
                            {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]},
             "pre_tokenizer": null,
             "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                                {"Sequence": {"id": "A", "type_id": 0}}], "pair": [],
                                "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
             "decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
                         {"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
             "model": {"type": "BPE", "unk_token": "<unk>", "fuse_unk": true, "byte_fallback": true,
                       "vocab": {"<unk>": 0, "<s>": 1, "</s>": 2, "▁": 3, "a": 4, "b": 5, "c": 6, "▁a": 7, "ab": 8, "▁ab": 9, "bc": 10},
                       "merges": ["▁ a", "a b", "▁a b", "b c", "▁ ab"]}}
            """;

    @Test
    void theSmallTokenizerJsonIsValid() throws Exception {
        Path f = tmp.resolve("tokenizer.json");
        Files.writeString(f, SMALL);
        Tokenizer t = Tokenizers.load(f);
        assertArrayEquals(new int[] {1, 9, 6}, t.encode("abc", true));
        assertEquals("abc", t.decode(new int[] {1, 9, 6}));
    }

    private TokenizerFormatException brokenJson(Consumer<ObjectNode> edit) throws Exception {
        ObjectMapper m = new ObjectMapper();
        ObjectNode t = (ObjectNode) m.readTree(SMALL);
        edit.accept(t);
        Path f = tmp.resolve("tokenizer.json");
        m.writeValue(f.toFile(), t);
        return assertThrows(TokenizerFormatException.class, () -> Tokenizers.load(f));
    }

    @Test
    void badTokenizerJsonFieldsAreNamed() throws Exception {
        oneLine(brokenJson(t -> t.remove("model")), "tokenizer.json", "field model");
        oneLine(brokenJson(t -> ((ObjectNode) t.get("model")).put("type", "Unigram")), "model.type", "Unigram");
        oneLine(brokenJson(t -> ((ObjectNode) t.get("model")).put("vocab", 3)), "model.vocab");
        oneLine(brokenJson(t -> ((ArrayNode) t.get("model").get("merges")).set(4, "nospace")), "model.merges[4]");
        oneLine(brokenJson(t -> ((ArrayNode) t.get("model").get("merges")).set(3, "▁ zzzqqq")), "model.merges[3]", "zzzqqq");
        oneLine(brokenJson(t -> ((ObjectNode) t.get("model")).put("unk_token", "<nope>")), "model.unk_token", "<nope>");
        oneLine(brokenJson(t -> ((ObjectNode) t.get("normalizer").get("normalizers").get(0)).put("type", "Precompiled")),
                "normalizer.normalizers[0].type", "Precompiled");
        oneLine(brokenJson(t -> ((ObjectNode) t.get("decoder").get("decoders").get(0)).remove("content")), "decoder.decoders[0].content");
        oneLine(brokenJson(t -> ((ObjectNode) t.get("added_tokens").get(1)).remove("id")), "added_tokens[1].id");
        oneLine(brokenJson(t -> t.set("pre_tokenizer", new ObjectMapper().createObjectNode().put("type", "ByteLevel"))), "pre_tokenizer.type", "ByteLevel");
        oneLine(brokenJson(t -> ((ObjectNode) t.get("post_processor").get("special_tokens")).removeAll()), "post_processor.special_tokens[\"<s>\"]");
    }

    @Test
    void invalidJsonGivesLineAndColumn() throws Exception {
        Path f = tmp.resolve("tokenizer.json");
        Files.writeString(f, "{\n  \"model\": {\"vocab\": {\"a\": 1,}\n}", StandardCharsets.UTF_8);
        oneLine(assertThrows(TokenizerFormatException.class, () -> Tokenizers.load(f)), "tokenizer.json", "line 2");
    }

    @Test
    void outOfRangeIdsAreRejectedWhenDecoding() throws Exception {
        Tokenizer hf = Fixtures.spBpeTokenizer();
        Tokenizer sp = Tokenizers.load(SentencePieceReference.model("bpe_llama"));
        for (Tokenizer t : new Tokenizer[] {hf, sp}) {
            var e = assertThrows(IllegalArgumentException.class, () -> t.decode(new int[] {5, t.vocabSize()}));
            assertTrue(e.getMessage().contains(String.valueOf(t.vocabSize())), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> t.decode(new int[] {-1}));
        }
    }
}
