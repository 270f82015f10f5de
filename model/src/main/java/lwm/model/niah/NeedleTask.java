package lwm.model.niah;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * LWM's needle-in-a-haystack prompts (spec §6.2: scripts/eval_needle.py and eval_needle_multi.py): needle
 * "The special magic {city} number is: {7-digit number}", inserted at a depth of the haystack moved back
 * to just after the previous '.', the question and the chat prompt of the LWM scripts. Deterministic in
 * the seed.
 */
public final class NeedleTask {
    static final String[] CITIES = ("Paris Tokyo Lima Oslo Cairo Rome Delhi Seoul Dakar Quito Hanoi Kyiv Minsk Riga Bern "
            + "Doha Accra Sofia Tunis Baku Lagos Dubai Milan Porto Perth Osaka Boston Denver Austin Dallas Berlin Madrid "
            + "London Vienna Prague Athens Lisbon Dublin Warsaw Zurich Chicago Toronto Sydney Mumbai Nairobi Bangkok "
            + "Jakarta Manila Santiago Havana").split(" ");
    static final String PREFIX = "You are a helpful assistant. USER: ";
    static final String SINGLE_SUFFIX = " Don't give information outside the document or repeat your findings. "
            + "Keep your response short and direct. ASSISTANT: ";
    static final String MULTI_SUFFIX = " Don't give information outside the document. ASSISTANT: ";
    static final String COMPACT_SUFFIX = " A: ";

    private NeedleTask() {}

    static String needle(String city, String number) { return "\nThe special magic " + city + " number is: " + number + "\n"; }

    static String question(List<String> asked, boolean multi) {
        if (!multi) return "What is the special magic " + asked.get(0) + " number?";
        if (asked.size() == 1) return "What is the special magic number for " + asked.get(0) + "?";
        String list = asked.size() == 2 ? asked.get(0) + " and " + asked.get(1)
                : String.join(", ", asked.subList(0, asked.size() - 1)) + ", and " + asked.get(asked.size() - 1);
        return "What are the special magic numbers for " + list + "?";
    }

    /**
     * A prompt of {@code contextLength} ids with {@code needles} needles (the first at {@code depth} percent,
     * the others at random depths) and a question about the first {@code asked} of them.
     */
    public static NiahCase build(PromptCodec codec, int contextLength, double depth, int needles, int asked,
                                 long seed, boolean repeats) {
        return build(codec, contextLength, depth, needles, asked, seed, repeats, false);
    }

    /**
     * As above; {@code compact} drops the chat prompt around the document ("{haystack} {question} A: "), a
     * training curriculum for the demo: without the fixed 200-character preamble short examples are mostly
     * haystack and needle, so retrieval gets more of the gradient early on.
     */
    public static NiahCase build(PromptCodec codec, int contextLength, double depth, int needles, int asked,
                                 long seed, boolean repeats, boolean compact) {
        if (needles < 1 || asked < 1 || asked > needles) throw new IllegalArgumentException("need 1 <= asked (" + asked + ") <= needles (" + needles + ")");
        if (needles > CITIES.length) throw new IllegalArgumentException("at most " + CITIES.length + " needles");
        if (depth < 0 || depth > 100) throw new IllegalArgumentException("depth " + depth + " is not a percentage");
        SplittableRandom rnd = new SplittableRandom(seed);
        List<String> pool = new ArrayList<>(Arrays.asList(CITIES));
        List<String> cities = new ArrayList<>(), numbers = new ArrayList<>();
        for (int i = 0; i < needles; i++) {
            cities.add(pool.remove(rnd.nextInt(pool.size())));
            numbers.add(Integer.toString(1_000_000 + rnd.nextInt(9_000_000)));
        }
        boolean multi = needles > 1;
        List<String> askedCities = cities.subList(0, asked);
        String head = compact ? "" : PREFIX, tail = " " + question(askedCities, multi) + (compact ? COMPACT_SUFFIX : multi ? MULTI_SUFFIX : SINGLE_SUFFIX);
        double[] depths = new double[needles];
        depths[0] = depth;
        for (int i = 1; i < needles; i++) depths[i] = rnd.nextDouble() * 100;
        StringBuilder needleText = new StringBuilder();
        for (int i = 0; i < needles; i++) needleText.append(needle(cities.get(i), numbers.get(i)));
        int fixed = 1 + codec.encode(head + tail + needleText).length;
        if (fixed + 1 > contextLength)
            throw new IllegalArgumentException("context length " + contextLength + " is shorter than the prompt without haystack (" + fixed + " tokens)");
        String hay = Haystack.text(rnd, (contextLength - fixed) * 8 + 64, repeats);
        // longest haystack prefix that keeps the prompt within the length (exact for a character codec)
        int lo = 0, hi = hay.length();
        String[] bestText = {null};
        int[] bestOffset = {0};
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            int[] ids = assemble(codec, head, tail, hay.substring(0, mid), cities, numbers, depths, bestText, bestOffset);
            if (ids.length <= contextLength) lo = mid; else hi = mid - 1;
        }
        int[] ids = assemble(codec, head, tail, hay.substring(0, lo), cities, numbers, depths, bestText, bestOffset);
        if (ids.length > contextLength) throw new IllegalStateException("could not fit the haystack in " + contextLength + " tokens");
        String answer = String.join(", ", numbers.subList(0, asked));
        return new NiahCase(contextLength, depth, ids, List.copyOf(askedCities), List.copyOf(numbers.subList(0, asked)), answer, bestOffset[0]);
    }

    /** Prompt ids with the needles inserted (deepest first, so earlier offsets stay valid). */
    private static int[] assemble(PromptCodec codec, String head, String tail, String hay, List<String> cities, List<String> numbers,
                                  double[] depths, String[] textOut, int[] firstOffsetOut) {
        Integer[] order = new Integer[depths.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(depths[b], depths[a]));
        StringBuilder sb = new StringBuilder(hay);
        for (int i : order) sb.insert(insertionPoint(hay, depths[i]), needle(cities.get(i), numbers.get(i)));
        textOut[0] = head + sb + tail;
        firstOffsetOut[0] = textOut[0].indexOf(needle(cities.get(0), numbers.get(0)));
        int[] body = codec.encode(textOut[0]);
        int[] ids = new int[body.length + 1];
        ids[0] = codec.bosId();
        System.arraycopy(body, 0, ids, 1, body.length);
        return ids;
    }

    /** depth% of the haystack, moved back to just after the previous '.'; 100% appends at the end. */
    static int insertionPoint(String hay, double depth) {
        if (depth >= 100) return hay.length();
        int pos = (int) Math.round(hay.length() * depth / 100.0);
        int dot = hay.lastIndexOf('.', pos - 1);
        return dot >= 0 ? dot + 1 : 0;
    }
}
