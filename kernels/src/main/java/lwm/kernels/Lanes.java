package lwm.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Bit-reproducible replacements for the two Vector API operations whose result depends on how the code
 * happens to run. {@code reduceLanes(ADD)} may add lanes in any order once C2 compiles it (the interpreter
 * and C1 add them first to last), and {@code lanewise(EXP)} is Math.exp per lane when interpreted but a
 * different, not correctly rounded, vector routine (SVML) when compiled. So the same call gave different
 * last bits before and after warm-up. Everything here is plain IEEE add/mul/fma and bit moves, which give
 * the same bits interpreted, C1- or C2-compiled; the scalar {@link #exp(float)} performs exactly the
 * operations of one vector lane, so a value gets the same result in a lane or in a loop tail.
 */
final class Lanes {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int V = S.length();

    private Lanes() {}

    /**
     * Butterfly partners i ^ d. Separate constants, not an array: C2 folds a static final shuffle into the
     * permute instruction but loads array elements (and then boxes the shuffle).
     */
    private static final VectorShuffle<Float> X8 = partner(8), X4 = partner(4), X2 = partner(2), X1 = partner(1);

    private static VectorShuffle<Float> partner(int d) {
        return VectorShuffle.fromOp(S, i -> (i ^ d) & (V - 1));
    }

    /** Sum of the lanes in a fixed pairwise order (a function of V only): halves, then quarters, ... */
    static float sum(FloatVector v) {
        if (V > 16) throw new AssertionError("vector species wider than 16 floats");
        if (V >= 16) v = v.add(v.rearrange(X8));
        if (V >= 8) v = v.add(v.rearrange(X4));
        if (V >= 4) v = v.add(v.rearrange(X2));
        if (V >= 2) v = v.add(v.rearrange(X1));
        return v.lane(0);
    }

    // exp(x) = 2^n * e^r with n = round(x / ln 2), r = x - n ln 2 (Cody-Waite, ln 2 split in two), e^r by a
    // degree-7 Taylor-like minimax polynomial (Cephes expf), 2^n applied as two exact power-of-two factors so
    // results down in the subnormal range round once.
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    /** 1.5 * 2^23: adding it rounds to an integer held in the low mantissa bits. */
    private static final float ROUNDER = 12582912f;
    private static final int ROUNDER_BITS = Float.floatToRawIntBits(ROUNDER);
    /** Below this exp underflows to 0 (also for -infinity), above it overflows to infinity. */
    private static final float LO = -104f, HI = 89f;
    private static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f,
            P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    static FloatVector exp(FloatVector x) {
        x = x.max(LO).min(HI); // NaN stays NaN
        FloatVector t = x.mul(LOG2E).add(ROUNDER);
        jdk.incubator.vector.IntVector n = t.reinterpretAsInts().sub(ROUNDER_BITS);
        FloatVector fn = t.sub(ROUNDER);
        FloatVector r = fn.fma(FloatVector.broadcast(S, -LN2_HI), x);
        r = fn.fma(FloatVector.broadcast(S, -LN2_LO), r);
        FloatVector p = r.fma(P0, P1);
        p = p.fma(r, FloatVector.broadcast(S, P2));
        p = p.fma(r, FloatVector.broadcast(S, P3));
        p = p.fma(r, FloatVector.broadcast(S, P4));
        p = p.fma(r, FloatVector.broadcast(S, P5));
        p = p.fma(r.mul(r), r).add(1f);
        jdk.incubator.vector.IntVector n1 = n.lanewise(VectorOperators.ASHR, 1), n2 = n.sub(n1);
        FloatVector s1 = n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = n2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(s1).mul(s2);
    }

    /** One lane of {@link #exp(FloatVector)}, operation for operation. */
    static float exp(float x) {
        x = Math.min(Math.max(x, LO), HI);
        float t = x * LOG2E + ROUNDER;
        int n = Float.floatToRawIntBits(t) - ROUNDER_BITS;
        float fn = t - ROUNDER;
        float r = Math.fma(fn, -LN2_HI, x);
        r = Math.fma(fn, -LN2_LO, r);
        float p = Math.fma(r, P0, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        p = Math.fma(p, r * r, r) + 1f;
        int n1 = n >> 1, n2 = n - n1;
        float s1 = Float.intBitsToFloat((n1 + 127) << 23), s2 = Float.intBitsToFloat((n2 + 127) << 23);
        return p * s1 * s2;
    }
}
