package lwm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import lwm.tokenizer.ChatTemplate;
import lwm.tokenizer.Tokenizer;
import lwm.tokenizer.Tokenizers;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** ./lwm chat on the tiny fixture model with the fixture tokenizer: streaming, multi-turn, cache reuse. */
class ChatCommandTest {
    static final Path SHARED = Path.of(System.getProperty("lwm.root", "."), "..", "shared", "fixtures");
    static final Path MODEL = SHARED.resolve("tiny-lwm-f32"), TOKENIZER = SHARED.resolve("tokenizer-sp-bpe/tokenizer.json");

    static ModelCommandsTest.Run chat(String input, String... extra) {
        InputStream in = System.in;
        try {
            System.setIn(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
            List<String> argv = new ArrayList<>(List.of("chat", "--model", MODEL.toString(), "--tokenizer", TOKENIZER.toString(),
                    "--max-new-tokens", "6", "--context", "256"));
            argv.addAll(List.of(extra));
            return ModelCommandsTest.run(argv.toArray(String[]::new));
        } finally {
            System.setIn(in);
        }
    }

    @Test
    void twoTurnsStreamTheGreedyAnswerAndReuseTheCache() throws Exception {
        ModelCommandsTest.Run r = chat("What is a world model?\nAnd why?\n/exit\n");
        assertEquals(0, r.code(), r.err());
        List<String> answers = new ArrayList<>();
        for (String line : r.out().split("\n")) if (line.contains("ASSISTANT:")) answers.add(line.substring(line.indexOf("ASSISTANT:") + 10));
        assertEquals(2, answers.size(), r.out());

        // the first answer is what generate produces greedily from the template's prompt ids
        Tokenizer tok = Tokenizers.load(TOKENIZER);
        int[] prompt = new ChatTemplate(tok).prompt("What is a world model?");
        StringBuilder ids = new StringBuilder();
        for (int id : prompt) ids.append(ids.isEmpty() ? "" : ",").append(id);
        ModelCommandsTest.Run g = ModelCommandsTest.run("generate", "--model", MODEL.toString(), "--tokenizer", TOKENIZER.toString(),
                "--ids", ids.toString(), "--max-new-tokens", "6", "--json");
        assertEquals(0, g.code(), g.err());
        String want = new ObjectMapper().readTree(g.out()).get("text").asText();
        assertEquals(want.strip(), answers.get(0).strip());

        // turn 2 runs only the ids after what the cache already holds
        Matcher m = Pattern.compile("\\[(\\d+) prompt tokens").matcher(r.err());
        List<Integer> fed = new ArrayList<>();
        while (m.find()) fed.add(Integer.parseInt(m.group(1)));
        assertEquals(2, fed.size(), r.err());
        assertEquals(prompt.length, fed.get(0));
        int secondPrompt = new ChatTemplate(tok).encode(List.of(ChatTemplate.Message.user("What is a world model?"),
                ChatTemplate.Message.assistant(answers.get(0).strip()), ChatTemplate.Message.user("And why?"))).length;
        assertTrue(fed.get(1) < secondPrompt - prompt.length + 3, "turn 2 fed " + fed.get(1) + " of " + secondPrompt + " ids");
    }

    @Test
    void generateEncodesTextPromptsWithBosAndDecodesTheContinuation() throws Exception {
        Path file = java.nio.file.Files.createTempFile("prompt", ".txt");
        try {
            java.nio.file.Files.writeString(file, "Hello world");
            ObjectMapper json = new ObjectMapper();
            var a = json.readTree(ModelCommandsTest.run("generate", "--model", MODEL.toString(), "--tokenizer", TOKENIZER.toString(),
                    "--prompt", "Hello world", "--max-new-tokens", "5", "--json").out());
            var b = json.readTree(ModelCommandsTest.run("generate", "--model", MODEL.toString(), "--tokenizer", TOKENIZER.toString(),
                    "--prompt-file", file.toString(), "--max-new-tokens", "5", "--json").out());
            assertEquals(a.get("output_ids"), b.get("output_ids"), "--prompt and --prompt-file with the same text");
            assertEquals(a.get("text"), b.get("text"));
            int[] ids = new int[a.get("output_ids").size()];
            for (int i = 0; i < ids.length; i++) ids[i] = a.get("output_ids").get(i).asInt();
            assertArrayEquals(new int[]{1, 22557, 1526}, java.util.Arrays.copyOf(ids, 3), "the fixture tokenizer's encoding, BOS first");
            assertEquals(8, ids.length);
            assertEquals(Tokenizers.load(TOKENIZER).decode(java.util.Arrays.copyOfRange(ids, 3, 8)), a.get("text").asText());
        } finally {
            java.nio.file.Files.deleteIfExists(file);
        }
    }

    @Test
    void chatNeedsATokenizer() {
        ModelCommandsTest.Run r = ModelCommandsTest.run("chat", "--model", MODEL.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("no tokenizer.model or tokenizer.json"), r.err());
    }
}
