package lwm.cli;

import lwm.model.data.TextEncoder;
import lwm.model.train.TrainingPlan;
import lwm.tokenizer.Tokenizer;
import lwm.tokenizer.Tokenizers;

import java.nio.file.Path;

/** Binds the data pipeline's {@link TextEncoder} to a tokenizer file or model directory. */
final class Encoders {
    private Encoders() {}

    /** The plan's tokenizer, or null when it names none (pre-tokenised {"ids"} data). */
    static TextEncoder forPlan(TrainingPlan plan) {
        Path t = plan.data().tokenizer();
        return t == null ? null : load(t);
    }

    /** A document is BOS + its text + EOS: one BOS per sequence (spec 3.3), EOS so the model learns to stop. */
    static TextEncoder load(Path tokenizer) {
        return of(Tokenizers.load(tokenizer));
    }

    static TextEncoder of(Tokenizer tok) {
        return text -> {
            int[] body = tok.encode(text, true);
            if (tok.eosId() < 0) return body;
            int[] ids = java.util.Arrays.copyOf(body, body.length + 1);
            ids[body.length] = tok.eosId();
            return ids;
        };
    }
}
