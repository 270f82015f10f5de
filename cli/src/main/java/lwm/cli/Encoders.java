package lwm.cli;

import lwm.model.data.TextEncoder;
import lwm.model.train.TrainingPlan;

import java.nio.file.Path;

/** Binds the data pipeline's {@link TextEncoder} to a tokenizer file or model directory. */
final class Encoders {
    private Encoders() {}

    /** The plan's tokenizer, or null when it names none (pre-tokenised {"ids"} data). */
    static TextEncoder forPlan(TrainingPlan plan) {
        Path t = plan.data().tokenizer();
        return t == null ? null : load(t);
    }

    static TextEncoder load(Path tokenizer) {
        throw new UsageError(tokenizer + ": text data needs the tokenizer module, which this build does not have yet; use pre-tokenised {\"ids\": [...]} records");
    }
}
