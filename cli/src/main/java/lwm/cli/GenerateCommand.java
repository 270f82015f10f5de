package lwm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import lwm.model.Generator;
import lwm.model.Sampler;
import lwm.tokenizer.StreamDecoder;

import java.io.PrintStream;

/** {@code ./lwm generate}: one prompt in, a continuation out, streamed as it is sampled. */
final class GenerateCommand implements Command {
    public String name() { return "generate"; }
    public String summary() { return "continue a prompt (text, a whole book via --prompt-file, or --ids) with an HF LLaMA model"; }

    static final String SAMPLING = """
              --max-new-tokens N   tokens to generate (default 128); stops earlier at EOS
              --temperature T      0 = greedy (default 0)
              --top-k K            sample among the K most likely tokens (0 = all)
              --top-p P            nucleus sampling (default 1 = off)
              --seed S             random seed for sampling (default 0)
            """;

    static Sampler sampler(Args args) {
        try {
            return new Sampler(args.real("temperature", 0), args.integer("top-k", 0), args.real("top-p", 1.0), args.longValue("seed", 0));
        } catch (IllegalArgumentException e) { throw new UsageError(e.getMessage()); }
    }

    public int run(Args args) throws Exception {
        if (args.has("help")) {
            System.out.println("usage: ./lwm generate --model DIR (--prompt TEXT | --prompt-file FILE | --ids 1,2,3) [options]\n\n"
                    + ModelSession.OPTIONS + SAMPLING + "  --json               print {\"output_ids\", \"text\", \"tokens_per_second\"} (prompt ids first)\n"
                    + "  --ranks N            ring-distributed prefill over N MPJ Express rank JVMs (--layout zigzag|contiguous|striped),\n"
                    + "                       then distributed decode: each rank keeps 1/N of the KV cache; same output as one process\n"
                    + ModelSession.DEVICE_NOTE);
            return 0;
        }
        boolean json = args.flag("json");
        int maxNew = args.integer("max-new-tokens", 128);
        if (maxNew < 0) throw new UsageError("--max-new-tokens must be >= 0");
        if (maxNew == 0) throw new UsageError("--max-new-tokens 0 generates nothing (use ./lwm logits to score a prompt)");
        Sampler sampler = sampler(args);
        int ranks = Ranks.requested(args);
        if (ranks > 0 && !Ranks.inRank()) {
            return Ranks.checkModelAndLaunch(name(), args, ranks);
        }
        try (ModelSession s = new ModelSession(args)) {
            boolean byIds = args.has("ids");
            boolean follower = Ranks.inRank() && Ranks.world().rank() != 0;
            PrintStream log = follower ? new PrintStream(java.io.OutputStream.nullOutputStream()) : System.err;
            s.open(false, log);
            int[] prompt = s.prompt(args);
            lwm.ring.SequenceLayout layout = Ranks.inRank() ? Ranks.layout(args) : null;
            args.finish();
            int eos = s.tokenizer != null ? s.tokenizer.eosId() : s.checkpoint.config().eosId();
            StreamDecoder dec = s.tokenizer == null || json || follower ? null : s.tokenizer.streamDecoder();
            PrintStream out = System.out;
            int[] fullPrompt = prompt;
            Generator.Listener listener = ModelSession.progress(log, id -> {
                if (json || follower) return true;
                if (dec != null) { if (id != eos) out.print(dec.push(id)); }
                else out.print(id + " ");
                out.flush();
                return true;
            });
            Generator.Result r;
            if (Ranks.inRank()) {
                // --ranks: the prompt is prefilled over the ring and every rank keeps its shard of the KV cache;
                // each decode step merges the ranks' partial attention (lwm.ring.RingDecoder)
                var decoder = new lwm.ring.RingDecoder(s.model, Ranks.world(), layout, prompt.length, maxNew, s.kvStorage);
                r = decoder.generate(prompt, maxNew, sampler, id -> id == eos, listener);
                log.printf("ring prefill of %d tokens on %d ranks (%s); distributed decode, KV cache shards of %s tokens%n",
                        decoder.prefillLength(), Ranks.world().size(), layout,
                        java.util.Arrays.toString(Ranks.world().allGather(new int[]{decoder.shard().length()})));
                if (follower) return 0;
            } else {
                r = new Generator(s.forward(prompt.length + maxNew, log), s.prefillChunk).generate(prompt, maxNew, sampler, id -> id == eos, listener);
            }
            if (dec != null) out.print(dec.flush());
            int[] all = new int[fullPrompt.length + r.newTokens().length];
            System.arraycopy(fullPrompt, 0, all, 0, fullPrompt.length);
            System.arraycopy(r.newTokens(), 0, all, fullPrompt.length, r.newTokens().length);
            if (json) {
                ObjectNode o = new ObjectMapper().createObjectNode();
                var ids = o.putArray("output_ids");
                for (int id : all) ids.add(id);
                if (s.tokenizer != null) o.put("text", s.tokenizer.decode(r.newTokens())); else o.putNull("text");
                o.put("tokens_per_second", r.decodeTokensPerSecond());
                o.put("prefill_tokens_per_second", r.prefillTokensPerSecond());
                o.put("stopped_at_eos", r.stoppedAtEos());
                out.println(o);
            } else out.println();
            log.printf("prefill %d tokens in %.2f s (%.1f tok/s); decode %d tokens at %.2f tok/s%s%n", r.prefillTokens(), r.prefillSeconds(),
                    r.prefillTokensPerSecond(), r.newTokens().length, r.decodeTokensPerSecond(), r.stoppedAtEos() ? " (stopped at EOS)" : "");
            if (byIds && s.tokenizer == null && !json) log.println("(no tokenizer: printed ids)");
        }
        return 0;
    }
}
