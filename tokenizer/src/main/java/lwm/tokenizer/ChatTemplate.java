package lwm.tokenizer;

import java.util.List;

/**
 * LWM-Text-Chat's prompt format (Vicuna-like, spec §6.1): {@code <s>You are a helpful assistant. USER: {q} ASSISTANT:}
 * with exactly one BOS; an answer ends with EOS. Further turns follow the Vicuna v1.1 convention the format comes
 * from: {@code ... ASSISTANT: {a}</s>USER: {q2} ASSISTANT:} (multi-turn is not documented by LWM).
 *
 * <p>BOS and EOS are inserted as ids, and message text is encoded with {@link Tokenizer#encodeLiteral}, so a
 * message containing "&lt;s&gt;" cannot smuggle in a second BOS.
 */
public final class ChatTemplate {
    public static final String LWM_SYSTEM = "You are a helpful assistant.";

    public enum Role { USER, ASSISTANT }

    public record Message(Role role, String content) {
        public static Message user(String content) { return new Message(Role.USER, content); }
        public static Message assistant(String content) { return new Message(Role.ASSISTANT, content); }
    }

    private final Tokenizer tokenizer;
    private final String system;

    public ChatTemplate(Tokenizer tokenizer) { this(tokenizer, LWM_SYSTEM); }

    public ChatTemplate(Tokenizer tokenizer, String system) {
        if (tokenizer.bosId() < 0) throw new IllegalArgumentException("the tokenizer has no BOS token, which the LWM chat format needs");
        this.tokenizer = tokenizer;
        this.system = system;
    }

    /** Ids of a one-question prompt, ready for generation. */
    public int[] prompt(String question) { return encode(List.of(Message.user(question))); }

    /**
     * Ids of a conversation: USER and ASSISTANT messages alternating, USER first. Ending with a USER message gives a
     * prompt that ends in "ASSISTANT:" for generation; ending with an ASSISTANT message gives a complete example
     * whose last token is EOS.
     */
    public int[] encode(List<Message> messages) {
        validate(messages);
        IntList out = new IntList(64);
        out.add(tokenizer.bosId());
        StringBuilder segment = new StringBuilder(system.isEmpty() ? "" : system + " ");
        for (Message m : messages) {
            if (m.role() == Role.USER) {
                segment.append("USER: ").append(m.content()).append(" ASSISTANT:");
            } else {
                segment.append(' ').append(m.content());
                out.addAll(tokenizer.encodeLiteral(segment.toString()));
                if (tokenizer.eosId() < 0) throw new IllegalArgumentException("the tokenizer has no EOS token to end an answer with");
                out.add(tokenizer.eosId());
                segment.setLength(0);
            }
        }
        if (!segment.isEmpty()) out.addAll(tokenizer.encodeLiteral(segment.toString()));
        return out.toArray();
    }

    /** The conversation as text, with the special tokens spelt out (for display and logs). */
    public String render(List<Message> messages) {
        validate(messages);
        StringBuilder b = new StringBuilder(tokenizer.pieceOf(tokenizer.bosId()));
        if (!system.isEmpty()) b.append(system).append(' ');
        for (Message m : messages) {
            if (m.role() == Role.USER) b.append("USER: ").append(m.content()).append(" ASSISTANT:");
            else b.append(' ').append(m.content()).append(tokenizer.eosId() >= 0 ? tokenizer.pieceOf(tokenizer.eosId()) : "");
        }
        return b.toString();
    }

    private static void validate(List<Message> messages) {
        if (messages.isEmpty()) throw new IllegalArgumentException("a chat needs at least one USER message");
        for (int i = 0; i < messages.size(); i++) {
            Role want = i % 2 == 0 ? Role.USER : Role.ASSISTANT;
            if (messages.get(i).role() != want)
                throw new IllegalArgumentException("chat message " + i + " is " + messages.get(i).role() + ", expected " + want + " (turns alternate, USER first)");
        }
    }
}
