package lwm.ring;

import java.util.HashMap;
import java.util.Map;

/**
 * The smallest rectangle [qa,qb) x [ka,kb) of a (query block, key block) pair outside which every
 * pair is masked, or null when the whole pair is masked. This is what lets one rule skip the
 * future blocks of plain ring causal attention, compute only the back half of the queries (or the
 * front half of the keys) in zigzag, and drop row 0 / the last key in striped, for packed rows too:
 * it reads only positions and segment ids, the same inputs as the mask itself.
 */
record VisibleBox(int qa, int qb, int ka, int kb) {

    int rows() { return qb - qa; }

    int cols() { return kb - ka; }

    static VisibleBox of(int[] qPos, int[] qSeg, int tq, int[] kPos, int[] kSeg, int tk, boolean causal) {
        if (tq == 0 || tk == 0) return null;
        if (qSeg == null) {
            if (!causal) return new VisibleBox(0, tq, 0, tk);
            int minK = Integer.MAX_VALUE, maxQ = Integer.MIN_VALUE;
            for (int j = 0; j < tk; j++) minK = Math.min(minK, kPos[j]);
            for (int i = 0; i < tq; i++) maxQ = Math.max(maxQ, qPos[i]);
            int qa = -1, qb = -1, ka = -1, kb = -1;
            for (int i = 0; i < tq; i++) if (qPos[i] >= minK) { if (qa < 0) qa = i; qb = i + 1; }
            for (int j = 0; j < tk; j++) if (kPos[j] <= maxQ) { if (ka < 0) ka = j; kb = j + 1; }
            return qa < 0 || ka < 0 ? null : new VisibleBox(qa, qb, ka, kb);
        }
        // per segment: the earliest key and the latest query decide who can see whom
        Map<Integer, Integer> minKey = new HashMap<>(), maxQuery = new HashMap<>();
        for (int j = 0; j < tk; j++) minKey.merge(kSeg[j], kPos[j], Math::min);
        for (int i = 0; i < tq; i++) maxQuery.merge(qSeg[i], qPos[i], Math::max);
        int qa = -1, qb = -1, ka = -1, kb = -1;
        for (int i = 0; i < tq; i++) {
            Integer m = minKey.get(qSeg[i]);
            if (m != null && (!causal || qPos[i] >= m)) { if (qa < 0) qa = i; qb = i + 1; }
        }
        for (int j = 0; j < tk; j++) {
            Integer m = maxQuery.get(kSeg[j]);
            if (m != null && (!causal || kPos[j] <= m)) { if (ka < 0) ka = j; kb = j + 1; }
        }
        return qa < 0 || ka < 0 ? null : new VisibleBox(qa, qb, ka, kb);
    }
}
