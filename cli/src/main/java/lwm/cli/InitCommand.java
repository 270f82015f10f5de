package lwm.cli;

import lwm.model.LlamaConfig;
import lwm.model.Presets;
import lwm.model.RandomCheckpoint;
import lwm.tensor.DType;

import java.nio.file.Files;
import java.nio.file.Path;

/** {@code ./lwm init}: a random checkpoint of a preset shape, for memory and speed tests without downloads. */
final class InitCommand implements Command {
    public String name() { return "init"; }
    public String summary() { return "write a random HF LLaMA checkpoint (--config lwm-7b|tiny|FILE --dtype bf16 --out DIR)"; }

    public int run(Args args) throws Exception {
        if (args.has("help")) {
            System.out.println("""
                    usage: ./lwm init --config NAME|FILE --out DIR [--dtype f32|bf16|f16] [--layers N] [--seed S]

                      --config   preset (%s) or a config.json
                      --dtype    stored weight dtype (default bf16)
                      --layers   override the layer count (a 7B-shaped model with fewer layers)
                      --seed     random seed (default 0)
                    """.formatted(String.join(", ", Presets.all().keySet())));
            return 0;
        }
        LlamaConfig c;
        try { c = Presets.get(args.required("config")); }
        catch (IllegalArgumentException e) { throw new UsageError("--config: " + e.getMessage()); }
        Path out = Path.of(args.required("out"));
        DType dtype = switch (args.str("dtype", "bf16").toLowerCase()) {
            case "f32", "float32" -> DType.F32;
            case "bf16", "bfloat16" -> DType.BF16;
            case "f16", "float16" -> DType.F16;
            default -> throw new UsageError("--dtype: '" + args.str("dtype", "") + "' is not f32, bf16 or f16");
        };
        int layers = args.integer("layers", c.layers());
        if (layers <= 0) throw new UsageError("--layers must be positive");
        long seed = args.longValue("seed", 0);
        args.finish();
        if (Files.exists(out) && (!Files.isDirectory(out) || Files.list(out).findAny().isPresent()))
            throw new UsageError(out + ": exists and is not an empty directory");
        c = new LlamaConfig(c.vocabSize(), c.hiddenSize(), c.intermediateSize(), layers, c.heads(), c.kvHeads(), c.headDim(),
                c.maxPositions(), c.ropeTheta(), c.rmsNormEps(), c.tieWordEmbeddings(), c.bosId(), c.eosId());
        long t0 = System.nanoTime();
        long bytes = RandomCheckpoint.write(c, dtype, seed, out, System.err::println);
        System.out.printf("wrote %s: %d layers, %s, %.2f GiB in %.1f s%n", out, layers, dtype, bytes / (double) (1L << 30),
                (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
