package lwm.cli;

import lwm.model.Generator;
import lwm.model.CachedForward;
import lwm.model.Sampler;
import lwm.tokenizer.ChatTemplate;
import lwm.tokenizer.StreamDecoder;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code ./lwm chat}: an interactive conversation in LWM-Text-Chat's format, answers streamed as they
 * are sampled. Each turn re-encodes the whole conversation with the chat template and runs only the ids
 * after the longest prefix the KV cache already holds, so a turn costs its own tokens.
 */
final class ChatCommand implements Command {
    public String name() { return "chat"; }
    public String summary() { return "interactive multi-turn chat (LWM chat template), answers streamed"; }

    public int run(Args args) throws Exception {
        if (args.has("help")) {
            System.out.println("usage: ./lwm chat --model DIR [--context N] [--system TEXT] [--prompt-file FILE] [options]\n\n"
                    + ModelSession.OPTIONS + GenerateCommand.SAMPLING
                    + "  --system TEXT        system sentence (default: \"" + ChatTemplate.LWM_SYSTEM + "\")\n"
                    + "  --prompt-file FILE   a document prepended to the first question (chat about a book)\n\n"
                    + "Type a question and Enter; /reset starts over, /exit (or end of input) quits.");
            return 0;
        }
        int maxNew = args.integer("max-new-tokens", 512);
        if (maxNew <= 0) throw new UsageError("--max-new-tokens must be positive");
        Sampler sampler = GenerateCommand.sampler(args);
        String system = args.str("system", ChatTemplate.LWM_SYSTEM);
        String docFile = args.str("prompt-file", null);
        try (ModelSession s = new ModelSession(args)) {
            PrintStream log = System.err, out = System.out;
            String document = null;
            if (docFile != null) {
                try { document = Files.readString(Path.of(docFile)); }
                catch (java.io.IOException e) { throw new UsageError(docFile + ": cannot read (" + e.getMessage() + ")"); }
            }
            args.finish();
            s.open(true, log);
            ChatTemplate template;
            try { template = new ChatTemplate(s.tokenizer, system); }
            catch (IllegalArgumentException e) { throw new UsageError(e.getMessage()); }
            int docTokens = document == null ? 0 : s.tokenizer.encode(document, false).length;
            CachedForward model = s.forward(s.contextOpt > 0 ? s.contextOpt : Math.min(s.checkpoint.config().maxPositions(), Math.max(4096, docTokens + 2048)), log);
            Generator gen = new Generator(model, s.prefillChunk);
            int eos = s.tokenizer.eosId();
            List<ChatTemplate.Message> conversation = new ArrayList<>();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            log.println("chat ready (context " + model.capacity() + " tokens). /reset starts over, /exit quits.");
            while (true) {
                out.print("\nUSER: ");
                out.flush();
                String line = in.readLine();
                if (line == null || line.strip().equals("/exit")) break;
                if (line.strip().equals("/reset")) { conversation.clear(); gen.rewind(0); log.println("(conversation cleared)"); continue; }
                if (line.isBlank()) continue;
                String question = conversation.isEmpty() && document != null ? document + "\n\n" + line : line;
                conversation.add(ChatTemplate.Message.user(question));
                int[] full = template.encode(conversation);
                int[] have = gen.tokens();
                int common = 0;
                while (common < have.length && common < full.length - 1 && have[common] == full[common]) common++;
                gen.rewind(common);
                int budget = Math.min(maxNew, model.capacity() - (full.length - 1));
                if (budget <= 0) {
                    conversation.removeLast();
                    log.println("(the conversation fills the context of " + model.capacity() + " tokens: /reset, or restart with a larger --context)");
                    continue;
                }
                int[] rest = java.util.Arrays.copyOfRange(full, common, full.length);
                out.print("ASSISTANT:");
                StreamDecoder dec = s.tokenizer.streamDecoder();
                Generator.Result r = gen.generate(rest, budget, sampler, id -> id == eos, ModelSession.progress(log, id -> {
                    if (id != eos) { out.print(dec.push(id)); out.flush(); }
                    return true;
                }));
                out.print(dec.flush());
                out.println();
                int n = r.newTokens().length - (r.stoppedAtEos() ? 1 : 0);
                conversation.add(ChatTemplate.Message.assistant(s.tokenizer.decode(java.util.Arrays.copyOf(r.newTokens(), n)).strip()));
                log.printf("[%d prompt tokens at %.1f tok/s, %d tokens at %.2f tok/s%s]%n", r.prefillTokens(), r.prefillTokensPerSecond(),
                        r.newTokens().length, r.decodeTokensPerSecond(), r.stoppedAtEos() ? "" : ", stopped at the token budget");
            }
        }
        return 0;
    }
}
