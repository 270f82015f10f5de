package lwm.model.niah;

/**
 * Character vocabulary: id = the character's 7-bit code; 0 = unknown/padding, 1 = BOS, 2 = EOS (the LLaMA
 * numbering). 128 ids, so a tiny model's embedding stays small and any checkpoint with at least 128 ids
 * can be probed without a tokenizer file.
 */
public final class CharCodec implements PromptCodec {
    public static final int PAD = 0, BOS = 1, EOS = 2, VOCAB = 128;

    @Override public int[] encode(String text) {
        int[] ids = new int[text.length()];
        for (int i = 0; i < ids.length; i++) {
            char c = text.charAt(i);
            ids[i] = (c == '\n' || (c >= 32 && c < 127)) ? c : '?';
        }
        return ids;
    }

    @Override public String decode(int[] ids) {
        StringBuilder sb = new StringBuilder(ids.length);
        for (int id : ids) if (id == '\n' || (id >= 32 && id < 127)) sb.append((char) id);
        return sb.toString();
    }

    @Override public int bosId() { return BOS; }
    @Override public int eosId() { return EOS; }
    @Override public int vocabSize() { return VOCAB; }
}
