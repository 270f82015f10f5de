package lwm.model.data;

import lwm.tokenizer.ChatTemplate;
import lwm.tokenizer.Tokenizer;
import lwm.tokenizer.Tokenizers;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Long-document QA examples: chat layout identical to the chat template, loss exactly on the answers. */
class LongQaTest {
    static Tokenizer tok() {
        return Tokenizers.load(Path.of(System.getProperty("lwm.root"), "..", "shared", "fixtures", "tokenizer-sp-bpe", "tokenizer.json"));
    }

    @Test void examplesAreChatConversationsWithLossOnlyOnAnswers() {
        Tokenizer t = tok();
        List<String> texts = List.of("The ferry left Oslo at dawn. ", "It reached Kiel by nightfall.");
        List<LongQa.QaPair> pairs = List.of(new LongQa.QaPair(0, "Where did the ferry leave from?", "Oslo, at dawn."),
                new LongQa.QaPair(1, "When did it reach Kiel?", "By nightfall."));
        Document d = LongQa.example(t, texts, pairs);
        // the same ids the inference chat template produces for this conversation
        int[] expected = new ChatTemplate(t).encode(List.of(
                ChatTemplate.Message.user("The ferry left Oslo at dawn. It reached Kiel by nightfall.\n\nWhere did the ferry leave from?"),
                ChatTemplate.Message.assistant("Oslo, at dawn."),
                ChatTemplate.Message.user("When did it reach Kiel?"),
                ChatTemplate.Message.assistant("By nightfall.")));
        assertArrayEquals(expected, d.ids());
        // the tokens under loss decode to the answers, each closed by EOS
        List<Integer> lossIds = new ArrayList<>();
        int eos = 0;
        for (int i = 0; i < d.length(); i++) if (d.mask(i) == 1f) { if (d.ids()[i] == t.eosId()) eos++; else lossIds.add(d.ids()[i]); }
        assertEquals(2, eos);
        assertEquals("Oslo, at dawn. By nightfall.", t.decode(lossIds.stream().mapToInt(Integer::intValue).toArray()).strip()
                .replaceAll("\\s+", " "));
        assertEquals(0f, d.mask(0));
    }

    @Test void repliesParseOnlyInTheAskedForForm() {
        LongQa.QaPair p = LongQa.parse(3, " Question: Who built the bridge?\nAnswer: The old king.\nQuestion: another");
        assertEquals(new LongQa.QaPair(3, "Who built the bridge?", "The old king."), p);
        assertNull(LongQa.parse(0, "The bridge was built by the king."));
        assertNull(LongQa.parse(0, "Question: ?\nAnswer:   "));
    }

    @Test void chunksAndGroupsCoverTheBookInOrder() {
        int[] ids = new int[2500];
        for (int i = 0; i < ids.length; i++) ids[i] = i;
        List<int[]> c = LongQa.chunks(ids, 1000);
        assertEquals(3, c.size());
        assertEquals(500, c.get(2).length);
        assertEquals(2000, c.get(2)[0]);
        List<int[]> g = LongQa.groups(new int[] {1000, 1000, 1000, 1000, 500}, new int[] {30, 0, 30, 30, 30}, 2100);
        assertEquals("[[0, 2], [2, 4], [4, 5]]", Arrays.deepToString(g.toArray()));
    }
}
