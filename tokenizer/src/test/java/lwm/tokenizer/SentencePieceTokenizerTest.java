package lwm.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Java SentencePiece (BPE and unigram) against python3-sentencepiece on models trained by train_sp.py, held-out text. */
class SentencePieceTokenizerTest {

    @ParameterizedTest
    @ValueSource(strings = {"bpe_llama", "bpe_nfkc", "bpe_plain", "bpe_nosplit", "unigram", "unigram_llama"})
    void encodeAndDecodeMatchSentencePiece(String name) throws Exception {
        JsonNode ref = SentencePieceReference.cases(name);
        Tokenizer tok = Tokenizers.load(SentencePieceReference.model(name));
        assertEquals(ref.get("bos").asInt(), tok.bosId());
        assertEquals(ref.get("eos").asInt(), tok.eosId());
        List<String> failures = new ArrayList<>();
        int n = 0;
        for (JsonNode c : ref.get("cases")) {
            String text = c.get("text").asText();
            int[] want = SentencePieceReference.ints(c.get("ids"));
            int[] got = tok.encode(text, false);
            if (!Arrays.equals(want, got)) failures.add("encode " + quote(text) + "\n  want " + Arrays.toString(want) + "\n  got  " + Arrays.toString(got));
            String dec = tok.decode(want);
            if (!dec.equals(c.get("decoded").asText())) failures.add("decode " + Arrays.toString(want) + " want " + quote(c.get("decoded").asText()) + " got " + quote(dec));
            int[] withBos = tok.encode(text, true);
            assertEquals(tok.bosId(), withBos[0]);
            assertArrayEquals(got, Arrays.copyOfRange(withBos, 1, withBos.length));
            n++;
        }
        for (JsonNode c : ref.get("random_decode")) {
            int[] ids = SentencePieceReference.ints(c.get("ids"));
            String dec = tok.decode(ids);
            if (!dec.equals(c.get("text").asText())) failures.add("decode " + Arrays.toString(ids) + " want " + quote(c.get("text").asText()) + " got " + quote(dec));
        }
        assertTrue(n > 100);
        assertTrue(failures.isEmpty(), failures.size() + " mismatches, first:\n" + String.join("\n", failures.subList(0, Math.min(8, failures.size()))));
    }

    @Test
    void bothBpeStrategiesAreExercised() throws Exception {
        // word-by-word merging is taken only when no piece spans a word boundary; bpe_nosplit has such pieces
        assertTrue(((SentencePieceTokenizer) Tokenizers.load(SentencePieceReference.model("bpe_llama"))).wordsIndependent());
        assertFalse(((SentencePieceTokenizer) Tokenizers.load(SentencePieceReference.model("bpe_nosplit"))).wordsIndependent());
    }

    @Test
    void oneInstanceServesManyThreads() throws Exception {
        Tokenizer[] toks = {Tokenizers.load(SentencePieceReference.model("bpe_nfkc")), Fixtures.spBpeTokenizer(),
                Tokenizers.load(SentencePieceReference.model("unigram_llama"))};
        java.util.List<String> texts = new TextGenerator(new java.util.Random().nextLong()).texts(20);
        for (Tokenizer tok : toks) {
            java.util.List<int[]> want = texts.stream().map(t -> tok.encode(t, true)).toList();
            try (var pool = java.util.concurrent.Executors.newFixedThreadPool(4)) {
                java.util.List<java.util.concurrent.Future<Boolean>> results = new ArrayList<>();
                for (int th = 0; th < 4; th++) {
                    results.add(pool.submit(() -> {
                        for (int rep = 0; rep < 2; rep++)
                            for (int i = 0; i < texts.size(); i++)
                                if (!Arrays.equals(want.get(i), tok.encode(texts.get(i), true))) return false;
                        return true;
                    }));
                }
                for (var f : results) assertTrue(f.get(), tok.toString());
            }
        }
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            if (ch < 0x20 || ch == 0x7f) b.append(String.format("\\u%04x", (int) ch)); else b.append(ch);
        }
        return b.append('"').toString();
    }
}
