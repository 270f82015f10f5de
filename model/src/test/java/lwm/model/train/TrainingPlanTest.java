package lwm.model.train;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Plan parsing: the LWM stage table reads back; every mistake is one line naming its field. */
class TrainingPlanTest {

    static String base(String stages) {
        return """
                {"output": "run", "model": {"config": "tiny"}, "data": {"train": "d.jsonl"},
                 "stages": [%s]}""".formatted(stages);
    }

    static String error(Path dir, String json) throws Exception {
        Path p = dir.resolve("plan.json");
        Files.writeString(p, json);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainingPlan.read(p));
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
        return e.getMessage();
    }

    @Test void readsTheLwmProgressiveStages(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("d.jsonl"), "{\"ids\": [1, 2, 3]}\n");
        Path p = dir.resolve("plan.json");
        Files.writeString(p, base("""
                {"name": "32K", "seq_len": 32768, "rope_theta": 1e6, "steps": 1200, "lr": 4e-5, "warmup": 100, "tokens_per_batch": 4194304},
                {"name": "128K", "seq_len": 131072, "rope_theta": 1e7, "steps": 3000, "lr": 4e-5, "warmup": 200, "tokens_per_batch": 4194304}"""));
        TrainingPlan plan = TrainingPlan.read(p);
        assertEquals(2, plan.stages().size());
        assertEquals(128, plan.stages().get(0).batchRows());
        assertEquals(32, plan.stages().get(1).batchRows());
        assertEquals(1e7, plan.configOf(1).ropeTheta());
        assertEquals(131072, plan.configOf(1).maxPositions());
        assertEquals(4e-5, plan.stages().get(0).schedule().at(5000), 0);
        assertEquals(2e-6, plan.stages().get(0).schedule().at(5), 1e-18);
        assertEquals(dir.resolve("run"), plan.output());
        assertEquals(4200, plan.totalSteps());
    }

    @Test void mistakesNameTheField(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("d.jsonl"), "{\"ids\": [1, 2, 3]}\n");
        assertTrue(error(dir, base("{\"seq_len\": -4, \"steps\": 1, \"lr\": 1e-4}")).contains("stages[0].seq_len: must be at least 2"));
        assertTrue(error(dir, base("{\"seq_len\": 64, \"steps\": 1}")).contains("stages[0].lr: missing"));
        assertTrue(error(dir, base("{\"seq_len\": 64, \"steps\": 1, \"lr\": 1e-4}, {\"seq_len\": 64, \"steps\": 1, \"lr\": 1e-4, \"schedule\": \"linear\"}"))
                .contains("stages[1].schedule: must be \"constant\" or \"cosine\""));
        assertTrue(error(dir, base("{\"seq_len\": 64, \"steps\": 1, \"lr\": 1e-4, \"tokens_per_batch\": 100}")).contains("stages[0].tokens_per_batch"));
        assertTrue(error(dir, base("{\"seq_len\": 64, \"step\": 1, \"lr\": 1e-4}")).contains("stages[0].step: unknown field"));
        assertTrue(error(dir, base("")).contains("stages: must be a non-empty array"));
        assertTrue(error(dir, base("{\"seq_len\": 64, \"steps\": 1, \"lr\": 1e-4, \"rope_theta\": \"big\"}")).contains("stages[0].rope_theta: must be a number"));
        assertTrue(error(dir, "{\"output\": \"x\", \"model\": {\"config\": \"nope\"}, \"data\": {}, \"stages\": []}").contains("model.config"));
        assertTrue(error(dir, "{\"output\": \"x\", \"model\": {\"config\": \"tiny\"}, \"data\": {\"train\": \"missing.jsonl\"},"
                + " \"stages\": [{\"seq_len\": 64, \"steps\": 1, \"lr\": 1e-4}]}").contains("data.train"));
        assertTrue(error(dir, "{\"output\": \"x\",\n \"model\": }").contains("invalid JSON at line 2"));
        assertTrue(error(dir, base("{\"seq_len\": 64, \"steps\": 1, \"lr\": 1e-4}").replace("\"output\": \"run\"", "\"output\": 3")).contains("output: must be a string"));
    }
}
