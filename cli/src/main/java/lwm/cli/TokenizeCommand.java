package lwm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import lwm.tokenizer.ChatTemplate;
import lwm.tokenizer.Tokenizer;
import lwm.tokenizer.Tokenizers;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/** {@code ./lwm tokenize}: text to ids (and pieces) or ids back to text, with any supported tokenizer. */
final class TokenizeCommand implements Command {
    public String name() { return "tokenize"; }
    public String summary() { return "encode text to token ids / decode ids (tokenizer.json or SentencePiece .model)"; }

    private static final String USAGE = """
            usage: ./lwm tokenize (--tokenizer FILE | --model DIR) (--text TEXT | --file FILE | --decode 1,2,3) [options]

              --tokenizer FILE  tokenizer.json or SentencePiece tokenizer.model
              --model DIR       model directory holding tokenizer.model or tokenizer.json
              --text TEXT       text to encode
              --file FILE       UTF-8 file to encode (a whole book is fine)
              --decode IDS      comma-separated ids to decode (special tokens left out)
              --chat            wrap the text in the LWM-Text-Chat prompt (one BOS, "... USER: {text} ASSISTANT:")
              --no-bos          do not add BOS (and other template tokens)
              --json            print {"ids": [...]} (or {"text": ...} with --decode) instead of a table
            """;

    public int run(Args args) throws IOException {
        if (args.flag("help")) { System.out.print(USAGE); return 0; }
        String tokFile = args.str("tokenizer", null), modelDir = args.str("model", null);
        String text = args.str("text", null), file = args.str("file", null), decode = args.str("decode", null);
        boolean json = args.flag("json"), chat = args.flag("chat"), noBos = args.flag("no-bos");
        args.finish();
        if ((tokFile == null) == (modelDir == null)) throw new UsageError("give exactly one of --tokenizer FILE or --model DIR (./lwm tokenize --help)");
        int inputs = (text != null ? 1 : 0) + (file != null ? 1 : 0) + (decode != null ? 1 : 0);
        if (inputs != 1) throw new UsageError("give exactly one of --text, --file or --decode");
        if (decode != null && (chat || noBos)) throw new UsageError("--chat and --no-bos apply to encoding, not to --decode");
        if (chat && noBos) throw new UsageError("--chat always starts with BOS; drop --no-bos");
        if ("true".equals(text) || "true".equals(file) || "true".equals(decode)) throw new UsageError("an option is missing its value");

        Tokenizer tok = Tokenizers.load(Path.of(tokFile != null ? tokFile : modelDir));
        PrintStream out = System.out;
        ObjectMapper mapper = new ObjectMapper();
        if (decode != null) {
            String s = tok.decode(parseIds(decode, tok.vocabSize()));
            if (json) out.println(mapper.writeValueAsString(mapper.createObjectNode().put("text", s)));
            else out.println(s);
            return 0;
        }
        String input = text != null ? text : readUtf8(Path.of(file));
        long t0 = System.nanoTime();
        int[] ids = chat ? new ChatTemplate(tok).prompt(input) : tok.encode(input, !noBos);
        double secs = (System.nanoTime() - t0) / 1e9;
        if (json) {
            ObjectNode o = mapper.createObjectNode();
            var arr = o.putArray("ids");
            for (int id : ids) arr.add(id);
            out.println(mapper.writeValueAsString(o));
        } else {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < ids.length; i++) b.append(i == 0 ? "" : ",").append(ids[i]);
            out.println(b);
            for (int id : ids) out.printf("%8d  %s%n", id, visible(tok.pieceOf(id)));
        }
        if (file != null)
            System.err.printf("lwm tokenize: %,d chars -> %,d tokens in %.2f s (%,.0f tokens/s; %s)%n",
                    input.length(), ids.length, secs, ids.length / Math.max(secs, 1e-9), tok);
        return 0;
    }

    private static int[] parseIds(String s, int vocab) {
        String[] parts = s.split(",", -1);
        int[] ids = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i].trim();
            try {
                ids[i] = Integer.parseInt(p);
            } catch (NumberFormatException e) {
                throw new UsageError("--decode: item " + (i + 1) + " ('" + p + "') is not an integer");
            }
            if (ids[i] < 0 || ids[i] >= vocab) throw new UsageError("--decode: id " + ids[i] + " (item " + (i + 1) + ") is outside the vocabulary [0, " + vocab + ")");
        }
        return ids;
    }

    private static String readUtf8(Path p) {
        try {
            byte[] b = Files.readAllBytes(p);
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw new UsageError(p + ": not valid UTF-8 text");
        } catch (IOException e) {
            throw new UsageError(p + ": cannot read (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
        }
    }

    /** Control characters in a piece shown as escapes so the table stays one line per token. */
    private static String visible(String piece) {
        StringBuilder b = new StringBuilder();
        piece.codePoints().forEach(c -> {
            if (c < 0x20 || c == 0x7f) b.append(String.format("\\x%02x", c)); else b.appendCodePoint(c);
        });
        return b.toString();
    }
}
