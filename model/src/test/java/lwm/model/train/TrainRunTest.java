package lwm.model.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import lwm.kernels.Kernels;
import lwm.kernels.ScalarKernels;
import lwm.kernels.VectorKernels;
import lwm.model.KvCache;
import lwm.model.LlamaConfig;
import lwm.model.LlamaModel;
import lwm.model.LlamaWeights;
import lwm.model.TensorSource;
import lwm.model.data.PackedRow;
import lwm.tensor.safetensors.SafetensorsCheckpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Progressive training end to end: stages, checkpoints, exact resumption, HF-layout exports, metrics and plot. */
class TrainRunTest {
    static final ObjectMapper JSON = new ObjectMapper();

    /** Pre-tokenised documents of random lengths over a small vocabulary (some with a prompt mask). */
    static Path writeIdsData(Path file, long seed, int docs, int vocab) throws Exception {
        SplittableRandom r = new SplittableRandom(seed);
        StringBuilder sb = new StringBuilder();
        for (int d = 0; d < docs; d++) {
            int len = 3 + r.nextInt(40);
            StringBuilder ids = new StringBuilder("[1"), mask = new StringBuilder("[0");
            for (int i = 1; i < len; i++) {
                ids.append(',').append(3 + r.nextInt(vocab - 3));
                mask.append(',').append(d % 3 == 0 && i < len / 2 ? 0 : 1);
            }
            sb.append("{\"ids\": ").append(ids).append("]");
            if (d % 3 == 0) sb.append(", \"loss_mask\": ").append(mask).append("]");
            sb.append("}\n");
        }
        Files.writeString(file, sb.toString());
        return file;
    }

    static Path writePlan(Path dir, String output, int ckptEvery) throws Exception {
        writeIdsData(dir.resolve("docs.jsonl"), 5, 60, 37);
        String plan = """
                {
                  "output": "%s",
                  "model": {"config": {"vocab_size": 37, "hidden_size": 16, "intermediate_size": 24, "num_hidden_layers": 2,
                                       "num_attention_heads": 4, "num_key_value_heads": 2, "rope_theta": 10000}, "seed": 3, "init_std": 0.1},
                  "data": {"train": "docs.jsonl", "seed": 11},
                  "optimizer": {"weight_decay": 0.1},
                  "training": {"block_q": 16, "block_k": 16, "mlp_chunk": 32, "lm_chunk": 32, "checkpoint_every": %d},
                  "stages": [
                    {"name": "s64", "seq_len": 64, "rope_theta": 1e4, "steps": 4, "lr": 3e-3, "warmup": 2, "batch_rows": 2},
                    {"name": "s128", "seq_len": 128, "rope_theta": 1e6, "steps": 3, "lr": 2e-3, "schedule": "cosine", "end_lr": 1e-4, "warmup": 1, "tokens_per_batch": 256}
                  ]
                }
                """.formatted(output, ckptEvery);
        Path p = dir.resolve(output + ".plan.json");
        Files.writeString(p, plan);
        return p;
    }

    /** A run on the scalar reference kernels. */
    static TrainRun run(Path plan, PrintStream out) {
        return run(plan, out, new ScalarKernels());
    }

    static TrainRun run(Path plan, PrintStream out, Kernels k) {
        return new TrainRun(TrainingPlan.read(plan), k, TrainRun.Parallelism.single(k), null, out);
    }

    static List<Double> losses(Path metrics) throws Exception {
        List<Double> l = new ArrayList<>();
        for (String line : Files.readAllLines(metrics)) if (!line.isBlank()) l.add(JSON.readTree(line).get("loss").asDouble());
        return l;
    }

    @Test void interruptedAndResumedRunsReproduceTheUninterruptedLosses(@TempDir Path dir) throws Exception {
        resumesBitForBit(dir, new ScalarKernels());
    }

    /**
     * The same with the default CPU backend on two threads: its results are a function of the inputs only (not of
     * JIT warm-up, which differs between the uninterrupted run and the later resumed runs in this JVM).
     */
    @Test void resumingOnVectorKernelsIsBitExactToo(@TempDir Path dir) throws Exception {
        try (VectorKernels k = new VectorKernels(2)) {
            resumesBitForBit(dir, k);
        }
    }

    private static void resumesBitForBit(Path dir, Kernels k) throws Exception {
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        Path full = writePlan(dir, "full", 2);
        List<TrainRun.StepLog> ref = run(full, quiet, k).run(false);
        assertEquals(7, ref.size());
        assertTrue(ref.get(6).loss() < ref.get(0).loss(), "training lowers the loss: " + ref);

        Path cut = writePlan(dir, "cut", 2);
        // interrupted inside stage 1 (after step 3; checkpoint at 2), then inside stage 2 (after 6; checkpoint at 6)
        run(cut, quiet, k).stopAfter(3).run(false);
        run(cut, quiet, k).stopAfter(5).run(true);
        run(cut, quiet, k).run(true);
        List<Double> a = losses(dir.resolve("full/metrics.jsonl")), b = losses(dir.resolve("cut/metrics.jsonl"));
        assertEquals(7, b.size());
        for (int i = 0; i < a.size(); i++)
            assertEquals(Double.doubleToLongBits(a.get(i)), Double.doubleToLongBits(b.get(i)), "step " + (i + 1) + ": " + a + " vs " + b);
        // the final weights agree bit for bit as well
        try (var x = SafetensorsCheckpoint.open(dir.resolve("full/stages/1-s128")); var y = SafetensorsCheckpoint.open(dir.resolve("cut/stages/1-s128"))) {
            for (String n : x.names()) assertArrayEquals(x.tensor(n).toFloatArray(), y.tensor(n).toFloatArray(), n);
        }
        assertTrue(Files.size(dir.resolve("full/loss.png")) > 1000);
        assertThrows(IllegalArgumentException.class, () -> run(full, quiet, k).run(false), "a second fresh run into the same output is refused");
    }

    @Test void stageExportsAreHuggingFaceCheckpointsTheInferenceModelRuns(@TempDir Path dir) throws Exception {
        Path plan = writePlan(dir, "out", 0);
        run(plan, new PrintStream(new ByteArrayOutputStream())).run(false);
        Path stage = dir.resolve("out/stages/1-s128");
        LlamaConfig cfg = LlamaConfig.read(stage.resolve("config.json"));
        assertEquals(1e6, cfg.ropeTheta());
        assertEquals(128, cfg.maxPositions());
        JsonNode raw = JSON.readTree(Files.readString(stage.resolve("config.json")));
        assertEquals("LlamaForCausalLM", raw.get("architectures").get(0).asText());
        // the inference engine (model branch) and the trainer score a document identically
        TrainableLlama trained = Checkpoints.loadModel(stage, cfg);
        int[] doc = {1, 5, 9, 30, 2, 7, 7, 12, 33, 4};
        double trainerLoss = new Trainer(trained, new ScalarKernels(), new lwm.model.parallel.LocalAttention(new ScalarKernels()),
                lwm.model.parallel.GradientSync.SINGLE, lwm.model.parallel.TokenPartition.WHOLE, TrainStep.Options.defaults(),
                LossWeighting.perExample(), AdamW.lwm(trained.params(), 0)).loss(List.of(PackedRow.single(doc)));
        try (SafetensorsCheckpoint ck = SafetensorsCheckpoint.open(stage)) {
            LlamaModel m = new LlamaModel(LlamaWeights.from(cfg, new TensorSource() {
                public java.util.Collection<String> names() { return ck.names(); }
                public boolean has(String n) { return ck.has(n); }
                public lwm.tensor.Tensor tensor(String n) { return ck.tensor(n); }
            }), new ScalarKernels());
            int[] pos = new int[doc.length];
            for (int i = 0; i < pos.length; i++) pos[i] = i;
            float[] logits = m.forward(doc, pos, m.newCache(doc.length, KvCache.Storage.F32), LlamaModel.Logits.ALL);
            int V = cfg.vocabSize();
            double nll = 0;
            for (int t = 0; t + 1 < doc.length; t++) {
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int j = 0; j < V; j++) max = Math.max(max, logits[t * V + j]);
                for (int j = 0; j < V; j++) sum += Math.exp(logits[t * V + j] - max);
                nll += max + Math.log(sum) - logits[t * V + doc[t + 1]];
            }
            assertEquals(nll / (doc.length - 1), trainerLoss, 1e-5);
        }
        // a follow-up run initialised from the export takes the model's config from it
        Files.writeString(dir.resolve("next.json"), """
                {"output": "next", "model": {"init": "out/stages/1-s128"}, "data": {"train": "docs.jsonl"},
                 "stages": [{"seq_len": 256, "rope_theta": 5e7, "steps": 1, "lr": 1e-3}]}""");
        TrainingPlan next = TrainingPlan.read(dir.resolve("next.json"));
        assertEquals(16, next.model().config().hiddenSize());
        assertEquals(5e7, next.configOf(0).ropeTheta());
        run(dir.resolve("next.json"), new PrintStream(new ByteArrayOutputStream())).run(false);
        try (var a = SafetensorsCheckpoint.open(stage); var b = SafetensorsCheckpoint.open(dir.resolve("next/stages/0-stage0"))) {
            assertEquals(a.names().size(), b.names().size());
        }
        List<String> lines = Files.readAllLines(dir.resolve("out/metrics.jsonl"));
        assertEquals(7, lines.size());
        JsonNode last = JSON.readTree(lines.get(6));
        assertEquals(7, last.get("step").asInt());
        assertEquals("s128", last.get("stage").asText());
        assertEquals(256, last.get("tokens").asInt());
    }
}
