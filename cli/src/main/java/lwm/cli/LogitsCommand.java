package lwm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import lwm.model.CachedForward;
import lwm.model.LlamaModel;
import lwm.model.Sampler;

import java.io.PrintStream;
import java.util.Arrays;

/** {@code ./lwm logits}: scores a prompt; the argmax at every position and the last position's logits. */
final class LogitsCommand implements Command {
    public String name() { return "logits"; }
    public String summary() { return "logits of a prompt: argmax at every position, last-position logits (--json)"; }

    public int run(Args args) throws Exception {
        if (args.has("help")) {
            System.out.println("usage: ./lwm logits --model DIR (--ids 1,2,3 | --prompt TEXT | --prompt-file FILE) [--json] [--ranks N]\n\n"
                    + ModelSession.OPTIONS + "  --json               print {\"last_logits\": [...], \"argmax\": [...]}\n"
                    + "  --ranks N            ring-distributed prefill over N MPJ Express rank JVMs (each holds 1/N of the prompt's\n"
                    + "                       keys/values); --layout zigzag|contiguous|striped (default zigzag); same output as one rank\n"
                    + ModelSession.DEVICE_NOTE);
            return 0;
        }
        boolean json = args.flag("json");
        int ranks = Ranks.requested(args);
        if (ranks > 0 && !Ranks.inRank()) {
            return Ranks.checkModelAndLaunch(name(), args, ranks);
        }
        if (Ranks.inRank()) return ranked(args, json);
        try (ModelSession s = new ModelSession(args)) {
            PrintStream log = System.err;
            s.open(false, log);
            int[] ids = s.prompt(args);
            args.finish();
            CachedForward model = s.forward(ids.length, log);
            int V = s.checkpoint.config().vocabSize(), chunk = s.prefillChunk;
            int[] argmax = new int[ids.length];
            float[] last = null;
            long t0 = System.nanoTime();
            for (int st = 0; st < ids.length; st += chunk) {
                int e = Math.min(ids.length, st + chunk);
                int[] pos = new int[e - st];
                for (int i = 0; i < pos.length; i++) pos[i] = st + i;
                float[] l = model.forward(Arrays.copyOfRange(ids, st, e), pos, LlamaModel.Logits.ALL);
                for (int t = st; t < e; t++) argmax[t] = Sampler.argmax(l, (t - st) * V, V);
                if (e == ids.length) last = Arrays.copyOfRange(l, (e - 1 - st) * V, (e - st) * V);
                if (ids.length >= 2048) log.printf("prefill %d/%d tokens%n", e, ids.length);
            }
            double sec = (System.nanoTime() - t0) / 1e9;
            if (json) {
                ObjectNode o = new ObjectMapper().createObjectNode();
                var ll = o.putArray("last_logits");
                for (float v : last) ll.add(v);
                var am = o.putArray("argmax");
                for (int a : argmax) am.add(a);
                System.out.println(o);
            } else {
                System.out.println("argmax: " + Arrays.toString(argmax));
                Integer[] order = new Integer[V];
                for (int i = 0; i < V; i++) order[i] = i;
                float[] lf = last;
                Arrays.sort(order, (a, b) -> Float.compare(lf[b], lf[a]));
                System.out.println("top 5 next tokens:");
                for (int i = 0; i < Math.min(5, V); i++)
                    System.out.printf("  %6d %10.4f%s%n", order[i], last[order[i]],
                            s.tokenizer != null ? "  " + s.tokenizer.pieceOf(order[i]) : "");
            }
            log.printf("%d tokens in %.2f s (%.1f tok/s)%n", ids.length, sec, ids.length / sec);
        }
        return 0;
    }

    /** In each of the --ranks JVMs: ring-distributed prefill of this rank's share of the prompt; rank 0 prints. */
    private static int ranked(Args args, boolean json) throws Exception {
        try (ModelSession s = new ModelSession(args)) {
            PrintStream log = Ranks.world().rank() == 0 ? System.err : new PrintStream(java.io.OutputStream.nullOutputStream());
            s.open(false, log);
            int[] ids = s.prompt(args);
            lwm.ring.SequenceLayout layout = Ranks.layout(args);
            args.finish();
            long t0 = System.nanoTime();
            lwm.ring.RingPrefill.Scores sc = lwm.ring.RingPrefill.argmaxAndLast(s.model, Ranks.world(), layout, ids);
            double sec = (System.nanoTime() - t0) / 1e9;
            PrintStream out = Ranks.out();
            int V = s.checkpoint.config().vocabSize();
            float[] last = sc.last();
            if (json) {
                ObjectNode o = new ObjectMapper().createObjectNode();
                var ll = o.putArray("last_logits");
                for (float v : last) ll.add(v);
                var am = o.putArray("argmax");
                for (int a : sc.argmax()) am.add(a);
                out.println(o);
            } else {
                out.println("argmax: " + Arrays.toString(sc.argmax()));
                Integer[] order = new Integer[V];
                for (int i = 0; i < V; i++) order[i] = i;
                Arrays.sort(order, (a, b) -> Float.compare(last[b], last[a]));
                out.println("top 5 next tokens:");
                for (int i = 0; i < Math.min(5, V); i++)
                    out.printf("  %6d %10.4f%s%n", order[i], last[order[i]], s.tokenizer != null ? "  " + s.tokenizer.pieceOf(order[i]) : "");
            }
            log.printf("%d tokens on %d ranks (%s) in %.2f s (%.1f tok/s)%n", ids.length, Ranks.world().size(), layout, sec, ids.length / sec);
        }
        return 0;
    }
}
