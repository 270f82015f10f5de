package lwm.model.niah;

/**
 * Text to ids and back, as the needle harness needs it: a real tokenizer (with its BOS) or the character
 * vocabulary of the demo. Kept this small so any tokenizer can stand behind it.
 */
public interface PromptCodec {
    /** Ids of {@code text}, without BOS. */
    int[] encode(String text);

    String decode(int[] ids);

    int bosId();

    int eosId();

    int vocabSize();
}
