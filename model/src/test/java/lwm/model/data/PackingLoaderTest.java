package lwm.model.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PackingLoaderTest {

    /** Documents whose ids encode (document, index) so the test can see where every token went. */
    static Path data(Path dir, int docs, int... lengths) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int d = 0; d < docs; d++) {
            int len = lengths[d % lengths.length];
            int[] ids = new int[len];
            for (int i = 0; i < len; i++) ids[i] = d * 1000 + i;
            sb.append("{\"ids\": ").append(Arrays.toString(ids)).append("}\n\n");
        }
        Path f = dir.resolve("d.jsonl");
        Files.writeString(f, sb.toString());
        return f;
    }

    @Test void packsWholeDocumentsWithSegmentsAndTrainsEveryPredictionOnce(@TempDir Path dir) throws Exception {
        try (JsonlDocuments docs = JsonlDocuments.open(data(dir, 9, 5, 13, 30, 2), null)) {
            assertEquals(9, docs.size());
            PackingLoader l = new PackingLoader(docs, 16, 7, false, 1, PackingLoader.State.START);
            int[] predicted = new int[9];
            List<Integer> seen = new ArrayList<>();
            while (l.epoch() == 0) {
                PackedRow r = l.next();
                for (int t = 0; t < 16; t++) {
                    if (r.segments()[t] == 0) { assertEquals(-1, r.targets()[t]); assertEquals(0f, r.lossMask()[t]); continue; }
                    assertEquals(t, r.positions()[t]);
                    if (r.targets()[t] >= 0) {
                        assertEquals(r.segments()[t], r.segments()[t + 1], "targets stay inside their segment");
                        assertEquals(r.tokens()[t] + 1, r.targets()[t], "target is the next token of the same document");
                        predicted[r.tokens()[t] / 1000]++;
                        if (!seen.contains(r.tokens()[t] / 1000)) seen.add(r.tokens()[t] / 1000);
                    }
                }
            }
            for (int d = 0; d < 9; d++) assertEquals(new int[] {5, 13, 30, 2}[d % 4] - 1, predicted[d], "predictions of document " + d);
            assertNotEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8), seen, "documents come shuffled");
        }
    }

    @Test void aLoaderStartedFromASavedStateContinuesIdentically(@TempDir Path dir) throws Exception {
        try (JsonlDocuments docs = JsonlDocuments.open(data(dir, 7, 9, 40, 3, 17), null)) {
            PackingLoader a = new PackingLoader(docs, 12, 3, true, 1, PackingLoader.State.START);
            for (int i = 0; i < 11; i++) a.next();
            PackingLoader b = new PackingLoader(docs, 12, 3, true, 1, a.state());
            for (int i = 0; i < 25; i++) {
                PackedRow x = a.next(), y = b.next();
                assertArrayEquals(x.tokens(), y.tokens());
                assertArrayEquals(x.segments(), y.segments());
                assertArrayEquals(x.positions(), y.positions());
                assertArrayEquals(x.lossMask(), y.lossMask());
            }
            PackingLoader other = new PackingLoader(docs, 12, 4, true, 1, PackingLoader.State.START);
            PackingLoader same = new PackingLoader(docs, 12, 3, true, 1, PackingLoader.State.START);
            PackingLoader fresh = new PackingLoader(docs, 12, 3, true, 1, PackingLoader.State.START);
            boolean differs = false;
            for (int i = 0; i < 6; i++) {
                int[] s = same.next().tokens();
                assertArrayEquals(fresh.next().tokens(), s, "same seed, same rows");
                differs |= !Arrays.equals(other.next().tokens(), s);
            }
            assertTrue(differs, "another seed shuffles differently");
        }
    }

    @Test void promptMasksAndVisionFlagsFollowTheirTargets(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("v.jsonl");
        Files.writeString(f, "{\"ids\": [1, 7, 8, 9], \"loss_mask\": [0, 0, 1, 1], \"vision\": [false, false, true, false]}\n");
        try (JsonlDocuments docs = JsonlDocuments.open(f, null)) {
            PackedRow r = new PackingLoader(docs, 6, 0, false, 1, PackingLoader.State.START).next();
            assertArrayEquals(new int[] {7, 8, 9, -1, -1, -1}, r.targets());
            assertArrayEquals(new float[] {0, 1, 1, 0, 0, 0}, r.lossMask());
            assertArrayEquals(new boolean[] {false, true, false, false, false, false}, r.visionTargets());
        }
        Path t = dir.resolve("t.jsonl");
        Files.writeString(t, "{\"text\": \"abc\"}\n");
        try (JsonlDocuments docs = JsonlDocuments.open(t, s -> s.chars().map(c -> c - 'a' + 3).toArray())) {
            PackedRow r = new PackingLoader(docs, 4, 0, false, 1, PackingLoader.State.START).next();
            assertArrayEquals(new int[] {3, 4, 5, 1}, r.tokens());
            assertNull(r.visionTargets());
        }
    }

    @Test void malformedRecordsNameFileLineAndField(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("bad.jsonl");
        Files.writeString(f, "{\"ids\": [1, 2]}\n\n{\"ids\": [1, -2]}\n{\"ids\": [1, 2], \"loss_mask\": [1]}\n{\"txt\": \"a\"}\n{oops\n{\"text\": \"a\"}\n");
        try (JsonlDocuments docs = JsonlDocuments.open(f, null)) {
            assertEquals(6, docs.size());
            assertTrue(msg(() -> docs.get(1)).contains("bad.jsonl:3: field 'ids' entry 1"));
            assertTrue(msg(() -> docs.get(2)).contains("bad.jsonl:4: field 'loss_mask'"));
            assertTrue(msg(() -> docs.get(3)).contains("bad.jsonl:5: record has neither 'text' nor 'ids'"));
            assertTrue(msg(() -> docs.get(4)).contains("bad.jsonl:6: invalid JSON"));
            assertTrue(msg(() -> docs.get(5)).contains("bad.jsonl:7: text record but no tokenizer"));
        }
        assertTrue(msg(() -> JsonlDocuments.open(dir.resolve("none.jsonl"), null)).contains("no such data file"));
    }

    static String msg(org.junit.jupiter.api.function.Executable e) {
        String m = assertThrows(IllegalArgumentException.class, e).getMessage();
        assertTrue(!m.contains("\n"), m);
        return m;
    }
}
