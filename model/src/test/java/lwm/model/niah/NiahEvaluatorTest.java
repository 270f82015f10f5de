package lwm.model.niah;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

class NiahEvaluatorTest {
    private final CharCodec codec = new CharCodec();

    /** Reads the asked city's number out of the prompt: a perfect retriever. */
    private String oracle(int[] prompt, int maxNew) {
        String t = codec.decode(Arrays.copyOfRange(prompt, 1, prompt.length));
        Matcher q = Pattern.compile("What is the special magic (\\w+) number\\?").matcher(t);
        assertTrue(q.find());
        Matcher m = Pattern.compile("The special magic " + q.group(1) + " number is: (\\d{7})").matcher(t);
        assertTrue(m.find());
        return m.group(1);
    }

    @Test
    void oracleScoresOneEverywhereAndPartialRetrieverScoresItsShare(@TempDir Path dir) throws Exception {
        NiahGrid grid = new NiahGrid(NiahGrid.linspace(400, 1200, 3), NiahGrid.depthAxis(5), 2, 1, 1, 11);
        NiahEvaluator ev = new NiahEvaluator(codec, false);
        int[] calls = {0};
        NiahReport perfect = ev.run(grid, this::oracle, 10, (f, n, c, r, ok) -> calls[0]++);
        assertEquals(30, calls[0]);
        assertEquals(1.0, perfect.mean(), 0);
        // right only in prompts shorter than 1000: the two shorter lengths
        NiahReport partial = ev.run(grid, (p, m) -> p.length < 1000 ? oracle(p, m) : "1234567", 10, (f, n, c, r, ok) -> {});
        assertArrayEquals(new double[] {1, 1, 0}, partial.perLength(), 1e-12);
        assertEquals(1.0, partial.meanUpTo(800), 0);
        assertEquals(2.0 / 3, partial.mean(), 1e-12);

        ObjectMapper om = new ObjectMapper();
        Path json = dir.resolve("report.json");
        NiahReport.writeAtomically(json, om.writerWithDefaultPrettyPrinter().writeValueAsString(partial.toJson(om)));
        JsonNode n = om.readTree(json.toFile());
        assertEquals(3, n.get("context_lengths").size());
        assertEquals(800, n.get("context_lengths").get(1).asInt());
        assertEquals(0.0, n.get("accuracy_by_depth_then_length").get(4).get(2).asDouble());
        assertEquals(15, n.get("samples").size());

        Path png = dir.resolve("niah.png");
        partial.writeHeatMap(png, "Needle retrieval");
        BufferedImage img = ImageIO.read(png.toFile());
        assertTrue(img.getWidth() > 200 && img.getHeight() > 200);
        // find the left-most and right-most cell colours on the middle row of the grid
        Color good = HeatMapColours.sampleCell(img, 0, 3), bad = HeatMapColours.sampleCell(img, 2, 3);
        assertTrue(good.getGreen() > good.getRed(), "accuracy 1 is green: " + good);
        assertTrue(bad.getRed() > bad.getGreen(), "accuracy 0 is red: " + bad);
    }

    @Test
    void multiNeedleCountsEachAskedNeedle() {
        NiahGrid grid = new NiahGrid(new int[] {1500}, new double[] {0, 50}, 3, 4, 2, 5);
        // answers only the first asked city's number: half of the asked needles
        NiahReport r = new NiahEvaluator(codec, false).run(grid, (p, m) -> {
            String t = codec.decode(Arrays.copyOfRange(p, 1, p.length));
            Matcher q = Pattern.compile("numbers for (\\w+) and (\\w+)\\?").matcher(t);
            assertTrue(q.find(), t);
            Matcher m1 = Pattern.compile("The special magic " + q.group(1) + " number is: (\\d{7})").matcher(t);
            assertTrue(m1.find());
            return m1.group(1);
        }, 20, (f, n, c, s, ok) -> {});
        assertEquals(0.5, r.mean(), 1e-12);
    }

    @Test
    void gridValidatesItsAxes() {
        assertArrayEquals(new int[] {1000, 53579, 106158}, Arrays.copyOf(NiahGrid.linspace(1000, 1_000_000, 20), 3));
        assertArrayEquals(new double[] {0, 25, 50, 75, 100}, NiahGrid.depthAxis(5));
        assertThrows(IllegalArgumentException.class, () -> new NiahGrid(new int[] {100}, new double[] {101}, 1, 1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new NiahGrid(new int[] {100}, new double[] {1}, 1, 1, 2, 0));
    }
}
