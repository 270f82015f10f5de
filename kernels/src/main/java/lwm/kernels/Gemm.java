package lwm.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Packed, tiled single-precision matrix product C (+)= A . B in the GotoBLAS arrangement: B is packed
 * per (KC x NC) block into NR-column micro-panels that stay in L1 while the micro-kernel streams the
 * packed (MC x KC) block of A from L2. The MR x NR micro-kernel keeps its 16 accumulators in vector
 * registers. Edge tiles are packed with zero padding and computed into a scratch tile, so odd sizes
 * run the same kernel. The transposed variants and the weight projection differ only in how the
 * operands are packed (see {@link BOperand}).
 */
final class Gemm {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int V = S.length();
    static final int MR = 8;
    static final int NR = 2 * V;
    static final int KC = 256;
    static final int MC = 128;
    static final int NC = 2048;
    static final long SERIAL_MNK = 1L << 20;

    private Gemm() {}

    /** Element (i, p) of A lives at a[off + i * rs + p * cs]: row-major A has rs = k, cs = 1; A^T given as [k, m] has rs = 1, cs = m. */
    record AOperand(float[] a, int off, int rs, int cs) {
        void pack(float[] dst, int i0, int mc, int p0, int kc) {
            int d = 0;
            for (int ir = 0; ir < mc; ir += MR) {
                int rows = Math.min(MR, mc - ir);
                for (int p = 0; p < kc; p++) {
                    int src = off + (i0 + ir) * rs + (p0 + p) * cs;
                    int r = 0;
                    for (; r < rows; r++) dst[d + r] = a[src + r * rs];
                    for (; r < MR; r++) dst[d + r] = 0f;
                    d += MR;
                }
            }
        }
    }

    /** The right-hand operand: packs a (kc x nc) block into NR-wide micro-panels, zero-padded. */
    interface BOperand {
        void pack(float[] dst, int dOff, int p0, int kc, int j0, int nc);
    }

    /** Element (p, j) of B at b[off + p * rs + j * cs]: row-major B [k, n] has rs = n, cs = 1; B^T given as [n, k] has rs = 1, cs = k. */
    record ArrayB(float[] b, int off, int rs, int cs) implements BOperand {
        public void pack(float[] dst, int dOff, int p0, int kc, int j0, int nc) {
            int d = dOff;
            for (int jr = 0; jr < nc; jr += NR) {
                int cols = Math.min(NR, nc - jr);
                if (cs == 1 && cols == NR) {
                    for (int p = 0; p < kc; p++) {
                        int src = off + (p0 + p) * rs + j0 + jr;
                        FloatVector.fromArray(S, b, src).intoArray(dst, d);
                        FloatVector.fromArray(S, b, src + V).intoArray(dst, d + V);
                        d += NR;
                    }
                } else {
                    // column-wise: each source column is contiguous when B is given transposed (cs = k)
                    for (int c = 0; c < NR; c++) {
                        if (c < cols) {
                            int src = off + p0 * rs + (j0 + jr + c) * cs;
                            for (int p = 0; p < kc; p++) dst[d + p * NR + c] = b[src + p * rs];
                        } else {
                            for (int p = 0; p < kc; p++) dst[d + p * NR + c] = 0f;
                        }
                    }
                    d += kc * NR;
                }
            }
        }
    }

    /** Scratch buffers of one worker, grown on demand and kept for the thread's life. */
    private static final class Scratch {
        float[] a = new float[0];
        float[] tile = new float[MR * NR];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    static int roundUp(int x, int to) { return (x + to - 1) / to * to; }

    /**
     * C[m, n] at c[cOff + i * n + j] (+)= A . B. Runs on {@code par}'s workers (or inline when par is null).
     */
    static void multiply(Parallel par, AOperand a, BOperand b, float[] c, int cOff, int m, int n, int k, boolean accumulate) {
        if (m == 0 || n == 0) return;
        if (k == 0) {
            if (!accumulate) for (int i = 0; i < m; i++) java.util.Arrays.fill(c, cOff + i * n, cOff + i * n + n, 0f);
            return;
        }
        // below ~2 MFLOP waking another worker costs more than the product itself
        if ((long) m * n * k < SERIAL_MNK) par = null;
        int threads = par == null ? 1 : par.threads();
        int ncMax = Math.min(NC, roundUp(n, NR));
        int kcMax = Math.min(KC, k);
        float[] bp = new float[roundUp(ncMax, NR) * kcMax];
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc);
            int panels = (nc + NR - 1) / NR;
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                boolean acc = accumulate || pc > 0;
                int jcF = jc, pcF = pc;
                if (par == null) b.pack(bp, 0, pc, kc, jc, nc);
                else par.forRange(panels, Math.max(1, 64 * 1024 / Math.max(1, kc * NR)), (p0, p1) ->
                        b.pack(bp, p0 * kc * NR, pcF, kc, jcF + p0 * NR, Math.min(nc, p1 * NR) - p0 * NR));
                // Tasks are (row block, column chunk) pairs so short, wide products (few rows) still use every core.
                int mcEff = Math.min(MC, roundUp(Math.max(MR, (m + threads - 1) / threads), MR));
                int rowBlocks = (m + mcEff - 1) / mcEff;
                int colChunks = Math.max(1, Math.min(panels, (2 * threads + rowBlocks - 1) / rowBlocks));
                int tasks = rowBlocks * colChunks;
                Parallel.Range body = (t0, t1) -> {
                    for (int t = t0; t < t1; t++) {
                        int rb = t / colChunks, cb = t % colChunks;
                        int ic = rb * mcEff, mc = Math.min(mcEff, m - ic);
                        int q0 = (int) ((long) panels * cb / colChunks), q1 = (int) ((long) panels * (cb + 1) / colChunks);
                        block(a, bp, c, cOff, n, ic, mc, jcF, nc, pcF, kc, q0, q1, acc);
                    }
                };
                if (par == null) body.run(0, tasks);
                else par.forRange(tasks, 1, body);
            }
        }
    }


    /** One task: rows [ic, ic+mc) of C against B micro-panels [q0, q1) of the packed block. */
    private static void block(AOperand a, float[] bp, float[] c, int cOff, int n, int ic, int mc, int jc, int nc, int pc, int kc,
                              int q0, int q1, boolean acc) {
        Scratch s = SCRATCH.get();
        int need = roundUp(mc, MR) * kc;
        if (s.a.length < need) s.a = new float[Math.max(need, MC * KC)];
        float[] ap = s.a;
        a.pack(ap, ic, mc, pc, kc);
        float[] tile = s.tile;
        for (int q = q0; q < q1; q++) {
            int jr = q * NR, cols = Math.min(NR, nc - jr), bBase = q * kc * NR;
            for (int ir = 0; ir < mc; ir += MR) {
                int rows = Math.min(MR, mc - ir), aBase = ir * kc;
                int cIdx = cOff + (ic + ir) * n + jc + jr;
                if (rows == MR && cols == NR) {
                    kernel(ap, aBase, bp, bBase, kc, c, cIdx, n, acc);
                } else {
                    kernel(ap, aBase, bp, bBase, kc, tile, 0, NR, false);
                    for (int r = 0; r < rows; r++)
                        for (int j = 0; j < cols; j++) {
                            float v = tile[r * NR + j];
                            c[cIdx + r * n + j] = acc ? c[cIdx + r * n + j] + v : v;
                        }
                }
            }
        }
    }

    /** C[MR, NR] (+)= Apanel . Bpanel over kc steps; full tile, leading dimension ldc. */
    static void kernel(float[] ap, int aBase, float[] bp, int bBase, int kc, float[] c, int cOff, int ldc, boolean accumulate) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        FloatVector c60 = FloatVector.zero(S), c61 = FloatVector.zero(S);
        FloatVector c70 = FloatVector.zero(S), c71 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int ai = aBase + p * MR, bi = bBase + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi), b1 = FloatVector.fromArray(S, bp, bi + V);
            FloatVector a;
            a = FloatVector.broadcast(S, ap[ai + 0]); c00 = a.fma(b0, c00); c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(S, ap[ai + 1]); c10 = a.fma(b0, c10); c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(S, ap[ai + 2]); c20 = a.fma(b0, c20); c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(S, ap[ai + 3]); c30 = a.fma(b0, c30); c31 = a.fma(b1, c31);
            a = FloatVector.broadcast(S, ap[ai + 4]); c40 = a.fma(b0, c40); c41 = a.fma(b1, c41);
            a = FloatVector.broadcast(S, ap[ai + 5]); c50 = a.fma(b0, c50); c51 = a.fma(b1, c51);
            a = FloatVector.broadcast(S, ap[ai + 6]); c60 = a.fma(b0, c60); c61 = a.fma(b1, c61);
            a = FloatVector.broadcast(S, ap[ai + 7]); c70 = a.fma(b0, c70); c71 = a.fma(b1, c71);
        }
        if (accumulate) {
            c00 = c00.add(FloatVector.fromArray(S, c, cOff + 0 * ldc)); c01 = c01.add(FloatVector.fromArray(S, c, cOff + 0 * ldc + V));
            c10 = c10.add(FloatVector.fromArray(S, c, cOff + 1 * ldc)); c11 = c11.add(FloatVector.fromArray(S, c, cOff + 1 * ldc + V));
            c20 = c20.add(FloatVector.fromArray(S, c, cOff + 2 * ldc)); c21 = c21.add(FloatVector.fromArray(S, c, cOff + 2 * ldc + V));
            c30 = c30.add(FloatVector.fromArray(S, c, cOff + 3 * ldc)); c31 = c31.add(FloatVector.fromArray(S, c, cOff + 3 * ldc + V));
            c40 = c40.add(FloatVector.fromArray(S, c, cOff + 4 * ldc)); c41 = c41.add(FloatVector.fromArray(S, c, cOff + 4 * ldc + V));
            c50 = c50.add(FloatVector.fromArray(S, c, cOff + 5 * ldc)); c51 = c51.add(FloatVector.fromArray(S, c, cOff + 5 * ldc + V));
            c60 = c60.add(FloatVector.fromArray(S, c, cOff + 6 * ldc)); c61 = c61.add(FloatVector.fromArray(S, c, cOff + 6 * ldc + V));
            c70 = c70.add(FloatVector.fromArray(S, c, cOff + 7 * ldc)); c71 = c71.add(FloatVector.fromArray(S, c, cOff + 7 * ldc + V));
        }
        c00.intoArray(c, cOff + 0 * ldc); c01.intoArray(c, cOff + 0 * ldc + V);
        c10.intoArray(c, cOff + 1 * ldc); c11.intoArray(c, cOff + 1 * ldc + V);
        c20.intoArray(c, cOff + 2 * ldc); c21.intoArray(c, cOff + 2 * ldc + V);
        c30.intoArray(c, cOff + 3 * ldc); c31.intoArray(c, cOff + 3 * ldc + V);
        c40.intoArray(c, cOff + 4 * ldc); c41.intoArray(c, cOff + 4 * ldc + V);
        c50.intoArray(c, cOff + 5 * ldc); c51.intoArray(c, cOff + 5 * ldc + V);
        c60.intoArray(c, cOff + 6 * ldc); c61.intoArray(c, cOff + 6 * ldc + V);
        c70.intoArray(c, cOff + 7 * ldc); c71.intoArray(c, cOff + 7 * ldc + V);
    }
}
