package lwm.model.train;

/**
 * Learning rate per optimizer step (0-based), as optax/tux define them: a linear warmup from 0 to
 * {@code peak} over {@code warmup} steps, then either constant or a cosine decay to {@code end}
 * reached at step {@code decaySteps}.
 */
public record LrSchedule(Kind kind, double peak, double end, int warmup, int decaySteps) {
    public enum Kind { CONSTANT, COSINE }

    public LrSchedule {
        if (!(peak >= 0)) throw new IllegalArgumentException("lr must be >= 0, got " + peak);
        if (warmup < 0) throw new IllegalArgumentException("warmup must be >= 0, got " + warmup);
    }

    public double at(long step) {
        if (step < warmup) return peak * step / warmup;
        if (kind == Kind.CONSTANT) return peak;
        long span = Math.max(1, decaySteps - warmup);
        double frac = Math.min(1.0, (double) (step - warmup) / span);
        return end + (peak - end) * 0.5 * (1 + Math.cos(Math.PI * frac));
    }
}
