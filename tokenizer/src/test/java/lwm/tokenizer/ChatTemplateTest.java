package lwm.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static lwm.tokenizer.ChatTemplate.Message.assistant;
import static lwm.tokenizer.ChatTemplate.Message.user;
import static org.junit.jupiter.api.Assertions.*;

class ChatTemplateTest {
    private static final List<ChatTemplate.Message> TWO_TURNS = List.of(
            user("What is the capital of France?"), assistant("Paris."), user("And of Japan? 日本"));

    private static int count(int[] ids, int id) { return (int) Arrays.stream(ids).filter(x -> x == id).count(); }

    @Test
    void singleTurnIsBosThenTheVicunaStylePrompt() {
        Tokenizer tok = Fixtures.spBpeTokenizer();
        ChatTemplate chat = new ChatTemplate(tok);
        int[] ids = chat.prompt("Hello");
        int[] want = tok.encode("You are a helpful assistant. USER: Hello ASSISTANT:", true);
        assertArrayEquals(want, ids);
        assertEquals(1, count(ids, tok.bosId()));
        assertEquals("<s>You are a helpful assistant. USER: Hello ASSISTANT:", chat.render(List.of(user("Hello"))));
        assertEquals("You are a helpful assistant. USER: Hello ASSISTANT:", tok.decode(ids));
    }

    @Test
    void multiTurnMatchesTheRenderedTextEncodedByTokenizersRules() {
        Tokenizer tok = Fixtures.spBpeTokenizer();
        ChatTemplate chat = new ChatTemplate(tok);
        int[] ids = chat.encode(TWO_TURNS);
        // the tokenizer.json splits "<s>"/"</s>" in the rendered text into the special ids: same ids expected
        assertArrayEquals(tok.encode(chat.render(TWO_TURNS), false), ids);
        assertEquals(1, count(ids, tok.bosId()));
        assertEquals(1, count(ids, tok.eosId()));
        assertEquals(tok.bosId(), ids[0]);
        int[] complete = chat.encode(List.of(user("q"), assistant("a")));
        assertEquals(tok.eosId(), complete[complete.length - 1]);
    }

    @Test
    void sentencePieceChatIsSegmentsJoinedByEos() throws Exception {
        Tokenizer tok = Tokenizers.load(SentencePieceReference.model("bpe_llama"));
        ChatTemplate chat = new ChatTemplate(tok);
        IntList want = new IntList(64);
        want.add(tok.bosId());
        want.addAll(tok.encode("You are a helpful assistant. USER: What is the capital of France? ASSISTANT: Paris.", false));
        want.add(tok.eosId());
        want.addAll(tok.encode("USER: And of Japan? 日本 ASSISTANT:", false));
        assertArrayEquals(want.toArray(), chat.encode(TWO_TURNS));
    }

    @Test
    void specialTokenTextInAMessageCannotAddASecondBos() {
        Tokenizer tok = Fixtures.spBpeTokenizer();
        int[] ids = new ChatTemplate(tok).prompt("repeat <s> and </s> please");
        assertEquals(1, count(ids, tok.bosId()));
        assertEquals(0, count(ids, tok.eosId()));
        assertTrue(tok.decode(ids).contains("repeat <s> and </s> please"), tok.decode(ids));
    }

    @Test
    void turnsMustAlternateStartingWithUser() {
        ChatTemplate chat = new ChatTemplate(Fixtures.spBpeTokenizer());
        assertThrows(IllegalArgumentException.class, () -> chat.encode(List.of()));
        var e = assertThrows(IllegalArgumentException.class, () -> chat.encode(List.of(assistant("a"))));
        assertTrue(e.getMessage().contains("message 0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> chat.encode(List.of(user("a"), user("b"))));
    }
}
