package lwm.model.niah;

import java.util.SplittableRandom;

/**
 * Synthetic haystack text, standing in for PG-19 (no downloads): sentences of common English words, no
 * digits and no colons, so that the needle is the only place a number can come from. With {@code repeats},
 * sentences are drawn from a small pool per haystack so phrases recur, as names and phrases do in books.
 */
public final class Haystack {
    static final String[] WORDS = ("the of and to in was he that it his her with as had for she not at but be on they by which "
            + "you have one this from all were said so we there their would what been when if more an out "
            + "no them into some could time very my up did about then little now other only any such down "
            + "man old long house sea river light night day hand eyes door room water ship king road stone "
            + "garden window winter summer morning evening letter story voice heart friend father mother "
            + "under over again never always before after still while green dark cold quiet slow bright").split(" ");

    private Haystack() {}

    static String sentence(SplittableRandom rnd) {
        StringBuilder sb = new StringBuilder();
        int n = 5 + rnd.nextInt(10);
        for (int i = 0; i < n; i++) {
            if (i > 0) sb.append(' ');
            sb.append(WORDS[rnd.nextInt(WORDS.length)]);
        }
        sb.setCharAt(0, Character.toUpperCase(sb.charAt(0)));
        return sb.append(". ").toString();
    }

    /** At least {@code chars} characters of text (whole sentences), deterministic in {@code rnd}. */
    public static String text(SplittableRandom rnd, int chars, boolean repeats) {
        String[] pool = null;
        if (repeats) {
            pool = new String[3 + rnd.nextInt(8)];
            for (int i = 0; i < pool.length; i++) pool[i] = sentence(rnd);
        }
        StringBuilder sb = new StringBuilder(chars + 128);
        while (sb.length() < chars) sb.append(pool != null ? pool[rnd.nextInt(pool.length)] : sentence(rnd));
        return sb.toString();
    }
}
