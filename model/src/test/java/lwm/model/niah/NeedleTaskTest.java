package lwm.model.niah;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

class NeedleTaskTest {
    private final CharCodec codec = new CharCodec();

    private String text(NiahCase c) {
        int[] body = java.util.Arrays.copyOfRange(c.promptIds(), 1, c.promptIds().length);
        return codec.decode(body);
    }

    @Test
    void singleNeedlePromptHasExactLengthAndLwmFormat() {
        long seed = new SplittableRandom().nextLong();
        for (int len : new int[] {300, 517, 2048, 5003}) {
            NiahCase c = NeedleTask.build(codec, len, 50, 1, 1, seed, false);
            assertEquals(len, c.promptIds().length, "prompt length");
            assertEquals(CharCodec.BOS, c.promptIds()[0]);
            String t = text(c);
            String city = c.cities().get(0), num = c.numbers().get(0);
            assertTrue(t.startsWith("You are a helpful assistant. USER: "), t);
            assertTrue(t.endsWith(" What is the special magic " + city + " number? Don't give information outside the document or repeat your findings. Keep your response short and direct. ASSISTANT: "), t);
            Matcher m = Pattern.compile("\\nThe special magic (\\w+) number is: (\\d{7})\\n").matcher(t);
            assertTrue(m.find());
            assertEquals(city, m.group(1));
            assertEquals(num, m.group(2));
            assertFalse(m.find(), "one needle only");
            assertEquals(num, c.answer());
            // the haystack has no digits, so the needle is the only source of the number
            assertEquals(7, t.chars().filter(Character::isDigit).count());
        }
    }

    @Test
    void depthPlacesTheNeedleAfterASentence() {
        long seed = new SplittableRandom().nextLong();
        NiahCase start = NeedleTask.build(codec, 4000, 0, 1, 1, seed, false);
        NiahCase end = NeedleTask.build(codec, 4000, 100, 1, 1, seed, false);
        NiahCase mid = NeedleTask.build(codec, 4000, 50, 1, 1, seed, false);
        String prefix = "You are a helpful assistant. USER: ";
        assertEquals(prefix.length(), start.needleOffset(), "depth 0 inserts before the haystack");
        String te = text(end);
        int q = te.indexOf(" What is the special magic");
        assertTrue(te.substring(0, q).endsWith("\n"), "depth 100 appends after the haystack");
        double frac = (mid.needleOffset() - prefix.length()) / (double) (4000 - 200);
        assertTrue(frac > 0.40 && frac < 0.55, "depth 50 lands near the middle: " + frac);
        String tm = text(mid);
        assertEquals('.', tm.charAt(mid.needleOffset() - 1), "moved back to just after a '.'");
    }

    @Test
    void sameSeedSamePromptOtherSeedOtherNeedle() {
        NiahCase a = NeedleTask.build(codec, 1000, 30, 1, 1, 7, false), b = NeedleTask.build(codec, 1000, 30, 1, 1, 7, false);
        NiahCase c = NeedleTask.build(codec, 1000, 30, 1, 1, 8, false);
        assertArrayEquals(a.promptIds(), b.promptIds());
        assertNotEquals(a.answer(), c.answer());
    }

    @Test
    void multiNeedleInsertsKAndAsksR() {
        long seed = new SplittableRandom().nextLong();
        NiahCase c = NeedleTask.build(codec, 3000, 25, 4, 3, seed, true);
        assertEquals(3000, c.promptIds().length);
        String t = text(c);
        Matcher m = Pattern.compile("\\nThe special magic (\\w+) number is: (\\d{7})\\n").matcher(t);
        int found = 0;
        while (m.find()) found++;
        assertEquals(4, found);
        assertEquals(3, c.numbers().size());
        assertTrue(t.contains("What are the special magic numbers for " + c.cities().get(0) + ", " + c.cities().get(1) + ", and " + c.cities().get(2) + "?"), t);
        assertTrue(t.endsWith(" Don't give information outside the document. ASSISTANT: "));
        for (int i = 0; i < 3; i++) assertTrue(t.contains("The special magic " + c.cities().get(i) + " number is: " + c.numbers().get(i)));
        boolean[] s = c.score("first " + c.numbers().get(2) + " and " + c.numbers().get(0));
        assertArrayEquals(new boolean[] {true, false, true}, s);
    }

    @Test
    void tooShortContextIsAnError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NeedleTask.build(codec, 100, 0, 1, 1, 1, false));
        assertTrue(e.getMessage().contains("context length 100"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> NeedleTask.build(codec, 1000, 0, 2, 3, 1, false));
    }

    @Test
    void charCodecRoundTripsAndMapsOthersToQuestionMark() {
        assertEquals("ab\nc?", codec.decode(codec.encode("ab\nc\u00e9")));
        assertEquals(CharCodec.VOCAB, codec.vocabSize());
    }
}
