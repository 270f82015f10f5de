package lwm.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Differential test against Hugging Face {@code tokenizers} (Rust, through DJL's JNI binding) on variants of the
 * fixture tokenizer.json that exercise each supported component, with random text of every kind.
 */
class HfDifferentialTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] SPECIALS = {"<s>", "</s>", "<unk>", "[INST]", "[/INST]", "<tool>", "hello", "<0x41>"};

    @TempDir static Path tmp;
    private static JsonNode base;

    @BeforeAll
    static void setUp() throws Exception {
        System.setProperty("ai.djl.offline", "true");
        base = JSON.readTree(Fixtures.dir("tokenizer-sp-bpe").resolve("tokenizer.json").toFile());
    }

    private static ObjectNode variant(String name) {
        ObjectNode t = base.deepCopy();
        ObjectNode model = (ObjectNode) t.get("model");
        Consumer<ObjectNode> decoderStrip = x -> { };
        switch (name) {
            case "fixture" -> { }
            case "metaspace-first" -> {  // newer Mistral/LLaMA layout: no normaliser, Metaspace "first", no split
                t.putNull("normalizer");
                t.set("pre_tokenizer", obj("{\"type\":\"Metaspace\",\"replacement\":\"▁\",\"prepend_scheme\":\"first\",\"split\":false}"));
            }
            case "metaspace-split" -> {  // Metaspace splitting into words, Metaspace decoder
                t.putNull("normalizer");
                t.set("pre_tokenizer", obj("{\"type\":\"Metaspace\",\"replacement\":\"▁\",\"prepend_scheme\":\"always\",\"split\":true}"));
                t.set("decoder", obj("{\"type\":\"Metaspace\",\"replacement\":\"▁\",\"prepend_scheme\":\"always\",\"split\":true}"));
            }
            case "added-tokens" -> {  // extra added tokens with strip/single-word options, EOS in the template
                ArrayNode added = (ArrayNode) t.get("added_tokens");
                added.add(obj("{\"id\":32000,\"content\":\"[INST]\",\"single_word\":false,\"lstrip\":false,\"rstrip\":true,\"normalized\":false,\"special\":true}"));
                added.add(obj("{\"id\":32001,\"content\":\"[/INST]\",\"single_word\":false,\"lstrip\":true,\"rstrip\":false,\"normalized\":false,\"special\":true}"));
                added.add(obj("{\"id\":32002,\"content\":\"<tool>\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,\"normalized\":false,\"special\":false}"));
                added.add(obj("{\"id\":32003,\"content\":\"hello\",\"single_word\":true,\"lstrip\":false,\"rstrip\":false,\"normalized\":false,\"special\":false}"));
                t.set("post_processor", obj("{\"type\":\"TemplateProcessing\",\"single\":[{\"SpecialToken\":{\"id\":\"<s>\",\"type_id\":0}},"
                        + "{\"Sequence\":{\"id\":\"A\",\"type_id\":0}},{\"SpecialToken\":{\"id\":\"</s>\",\"type_id\":0}}],\"pair\":[],"
                        + "\"special_tokens\":{\"<s>\":{\"id\":\"<s>\",\"ids\":[1],\"tokens\":[\"<s>\"]},\"</s>\":{\"id\":\"</s>\",\"ids\":[2],\"tokens\":[\"</s>\"]}}}"));
            }
            case "cross-word-token" -> {  // a token spanning words: BPE must merge the whole segment at once
                ((ObjectNode) model.get("vocab")).put("e▁t", 32000);
                ((ArrayNode) model.get("merges")).insert(0, "e ▁t");
            }
            case "unk-fused" -> model.put("byte_fallback", false).put("fuse_unk", true);
            case "unk-unfused" -> model.put("byte_fallback", false).put("fuse_unk", false);
            case "ignore-merges" -> {
                model.put("ignore_merges", true);
                t.putNull("normalizer");
                t.set("pre_tokenizer", obj("{\"type\":\"Metaspace\",\"replacement\":\"▁\",\"prepend_scheme\":\"always\",\"split\":true}"));
            }
            default -> throw new IllegalArgumentException(name);
        }
        return t;
    }

    private static JsonNode obj(String json) {
        try { return JSON.readTree(json); } catch (Exception e) { throw new RuntimeException(e); }
    }

    @ParameterizedTest
    @ValueSource(strings = {"fixture", "metaspace-first", "metaspace-split", "added-tokens", "cross-word-token", "unk-fused", "unk-unfused", "ignore-merges"})
    void idsAndDecodedTextMatchTokenizers(String name) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve(name));
        Path file = dir.resolve("tokenizer.json");
        ObjectNode json = variant(name);
        JSON.writeValue(file.toFile(), json);
        Tokenizer mine = HfTokenizer.fromJson(json, null, file.toString());  // HfFixtureTest covers loading from the file
        assertEquals(!name.equals("cross-word-token") && !name.equals("ignore-merges"), ((HfTokenizer) mine).wordsIndependent());
        List<String> failures = new ArrayList<>();
        long seed = new Random().nextLong();
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(file, Map.of("truncation", "false", "padding", "false"))) {
            List<String> texts = new TextGenerator(seed, SPECIALS).texts(120);
            for (String text : texts) {
                for (boolean special : new boolean[] {true, false}) {
                    int[] want = toInts(hf.encode(text, special, false).getIds());
                    int[] got = mine.encode(text, special);
                    if (!Arrays.equals(want, got))
                        failures.add("encode(" + special + ") " + SentencePieceTokenizerTest.quote(text) + "\n  want " + Arrays.toString(want) + "\n  got  " + Arrays.toString(got));
                    String wantText = hf.decode(toLongs(want), true);
                    String gotText = mine.decode(want);
                    if (!wantText.equals(gotText))
                        failures.add("decode " + Arrays.toString(want) + "\n  want " + SentencePieceTokenizerTest.quote(wantText) + "\n  got  " + SentencePieceTokenizerTest.quote(gotText));
                }
            }
            Random r = new Random(seed);
            int[] interesting = {0, 1, 2, 3, 4, 13, 28705, 259, 243, 162, 167, 153, 0xC3 + 3, 0xA9 + 3, 0xE6 + 3, 0x97 + 3, 0xA5 + 3};
            for (int i = 0; i < 250; i++) {
                int[] ids = new int[r.nextInt(10)];
                for (int k = 0; k < ids.length; k++)
                    ids[k] = r.nextBoolean() ? interesting[r.nextInt(interesting.length)] : r.nextInt(mine.vocabSize());
                String wantText = hf.decode(toLongs(ids), true);
                String gotText = mine.decode(ids);
                if (!wantText.equals(gotText))
                    failures.add("decode " + Arrays.toString(ids) + "\n  want " + SentencePieceTokenizerTest.quote(wantText) + "\n  got  " + SentencePieceTokenizerTest.quote(gotText));
            }
        }
        assertTrue(failures.isEmpty(), name + " (seed " + seed + "): " + failures.size() + " mismatches, first:\n"
                + String.join("\n", failures.subList(0, Math.min(6, failures.size()))));
    }

    static int[] toInts(long[] a) { return Arrays.stream(a).mapToInt(x -> (int) x).toArray(); }

    static long[] toLongs(int[] a) { return Arrays.stream(a).asLongStream().toArray(); }
}
