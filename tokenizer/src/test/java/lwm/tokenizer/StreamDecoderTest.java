package lwm.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** Streaming output must add up to the full decode, and never hand out half a character. */
class StreamDecoderTest {

    private static void checkStream(Tokenizer tok, int[] ids, String context) {
        StreamDecoder s = tok.streamDecoder();
        StringBuilder b = new StringBuilder();
        for (int id : ids) {
            String part = s.push(id);
            assertFalse(part.endsWith("\uFFFD") && !tok.decode(ids).contains("\uFFFD"), context + ": chunk ends in U+FFFD");
            if (!part.isEmpty()) assertFalse(Character.isHighSurrogate(part.charAt(part.length() - 1)), context);
            b.append(part);
        }
        b.append(s.flush());
        assertEquals(tok.decode(ids), b.toString(), context);
    }

    @Test
    void encodedTextStreamsBackExactly() throws Exception {
        long seed = new Random().nextLong();
        TextGenerator gen = new TextGenerator(seed);
        Tokenizer hf = Fixtures.spBpeTokenizer();
        Tokenizer sp = Tokenizers.load(SentencePieceReference.model("bpe_llama"));
        for (String text : gen.texts(150)) {
            for (Tokenizer tok : new Tokenizer[] {hf, sp}) {
                int[] ids = tok.encode(text, true);
                checkStream(tok, ids, tok + " seed " + seed + " text " + SentencePieceTokenizerTest.quote(text));
            }
        }
    }

    @Test
    void randomIdsIncludingBrokenByteSequencesStreamLikeFullDecode() throws Exception {
        // SentencePiece decodes byte pieces character by character, so any sequence streams exactly
        long seed = new Random().nextLong();
        Random r = new Random(seed);
        Tokenizer sp = Tokenizers.load(SentencePieceReference.model("bpe_llama"));
        int firstByte = sp.idOf("<0x00>");
        for (int i = 0; i < 400; i++) {
            int[] ids = new int[r.nextInt(20)];
            for (int k = 0; k < ids.length; k++) {
                double u = r.nextDouble();
                ids[k] = u < 0.4 ? firstByte + 0x80 + r.nextInt(0x78) : u < 0.5 ? r.nextInt(3) : r.nextInt(sp.vocabSize());
            }
            checkStream(sp, ids, sp + " seed " + seed);
        }
    }

    @Test
    void byteRunsOfValidCharactersStreamLikeFullDecodeInTokenizerJson() {
        // tokenizers turns a whole run of byte tokens into U+FFFDs when any of it is invalid, so (as in its own
        // DecodeStream) only runs of whole characters (or a lone cut-off run at the end) stream exactly
        long seed = new Random().nextLong();
        Random r = new Random(seed);
        Tokenizer hf = Fixtures.spBpeTokenizer();
        int firstByte = hf.idOf("<0x00>");
        for (int i = 0; i < 400; i++) {
            IntList ids = new IntList(32);
            for (int k = r.nextInt(12); k > 0; k--) {
                if (r.nextBoolean()) ids.add(firstByte + 256 + r.nextInt(hf.vocabSize() - firstByte - 256));
                else for (byte b : new String(Character.toChars(0x80 + r.nextInt(0x1ff00))).getBytes(java.nio.charset.StandardCharsets.UTF_8))
                    ids.add(firstByte + (b & 0xff));
            }
            if (r.nextBoolean()) { ids.add(hf.idOf("▁cut")); ids.add(firstByte + 0xe6); }  // a character cut off at the end
            checkStream(hf, ids.toArray(), hf + " seed " + seed);
        }
    }

    @Test
    void multiByteCharacterIsHeldUntilComplete() {
        Tokenizer tok = Fixtures.spBpeTokenizer();
        int[] ids = tok.encode("a 🤖", false);  // the emoji falls back to four byte tokens
        StreamDecoder s = tok.streamDecoder();
        StringBuilder seen = new StringBuilder();
        int emptyPushes = 0;
        for (int id : ids) {
            String part = s.push(id);
            if (part.isEmpty()) emptyPushes++;
            seen.append(part);
        }
        assertTrue(emptyPushes >= 3, "the first three bytes of the emoji give no text");
        assertEquals("a 🤖", seen.toString());
        assertEquals("", s.flush());
    }

    @Test
    void decodePieceGivesTheTextATokenAdds() {
        Tokenizer tok = Fixtures.spBpeTokenizer();
        int hello = tok.idOf("▁Hello"), world = tok.idOf("▁world");
        assertEquals("Hello", tok.decodePiece(tok.bosId(), hello));
        assertEquals(" world", tok.decodePiece(hello, world));
        assertEquals("\n", tok.decodePiece(hello, tok.idOf("<0x0A>")));
    }
}
