package lwm.model.niah;

import java.util.List;

/**
 * One needle-in-a-haystack prompt: {@code promptIds} (BOS first) is exactly {@code contextLength} ids long
 * for a character codec, and at most that for a subword tokenizer. {@code numbers} are the asked needles'
 * numbers, scored as substrings of the response; {@code answer} is the reference response (training target).
 */
public record NiahCase(int contextLength, double depth, int[] promptIds, List<String> cities, List<String> numbers,
                       String answer, int needleOffset) {

    /** Per asked needle: does its number appear in the response? (LWM's scoring, spec §6.2.) */
    public boolean[] score(String response) {
        boolean[] ok = new boolean[numbers.size()];
        for (int i = 0; i < ok.length; i++) ok[i] = response.contains(numbers.get(i));
        return ok;
    }
}
