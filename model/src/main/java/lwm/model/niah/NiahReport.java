package lwm.model.niah;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import lwm.model.plot.HeatMap;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * Accuracy per grid cell ({@code accuracy[depth][length]}, fraction of asked needles retrieved) with a
 * sample response per cell; writes report JSON and the heat map of the LWM paper's needle figure.
 */
public record NiahReport(NiahGrid grid, double[][] accuracy, List<Sample> samples, double seconds) {

    public record Sample(int contextLength, double depth, int promptTokens, String cities, String expected, String response, boolean correct) {}

    /** Mean accuracy over the cells whose context length is at most {@code maxLength}; NaN if none. */
    public double meanUpTo(int maxLength) {
        double s = 0;
        int n = 0;
        for (int li = 0; li < grid.lengths().length; li++) {
            if (grid.lengths()[li] > maxLength) continue;
            for (double[] row : accuracy) { s += row[li]; n++; }
        }
        return n == 0 ? Double.NaN : s / n;
    }

    public double mean() { return meanUpTo(Integer.MAX_VALUE); }

    /** Mean over depths, one value per context length. */
    public double[] perLength() {
        double[] v = new double[grid.lengths().length];
        for (int li = 0; li < v.length; li++) {
            for (double[] row : accuracy) v[li] += row[li];
            v[li] /= accuracy.length;
        }
        return v;
    }

    public ObjectNode toJson(ObjectMapper om) {
        ObjectNode n = om.createObjectNode();
        n.put("needles_inserted", grid.needles());
        n.put("needles_asked", grid.asked());
        n.put("trials_per_cell", grid.trials());
        n.put("seed", grid.seed());
        ArrayNode ls = n.putArray("context_lengths");
        for (int l : grid.lengths()) ls.add(l);
        ArrayNode ds = n.putArray("depths_percent");
        for (double d : grid.depths()) ds.add(d);
        ArrayNode acc = n.putArray("accuracy_by_depth_then_length");
        for (double[] row : accuracy) {
            ArrayNode r = acc.addArray();
            for (double v : row) r.add(v);
        }
        ArrayNode pl = n.putArray("accuracy_by_length");
        for (double v : perLength()) pl.add(v);
        n.put("mean_accuracy", mean());
        n.put("seconds", seconds);
        ArrayNode ss = n.putArray("samples");
        for (Sample s : samples) {
            ObjectNode o = ss.addObject();
            o.put("context_length", s.contextLength());
            o.put("depth", s.depth());
            o.put("prompt_tokens", s.promptTokens());
            o.put("cities", s.cities());
            o.put("expected", s.expected());
            o.put("response", s.response());
            o.put("correct", s.correct());
        }
        return n;
    }

    /** Heat map PNG: x context length, y depth, colour accuracy. */
    public void writeHeatMap(Path png, String title) throws IOException {
        String[] x = new String[grid.lengths().length];
        for (int i = 0; i < x.length; i++) x[i] = lengthLabel(grid.lengths()[i]);
        String[] y = new String[grid.depths().length];
        for (int i = 0; i < y.length; i++) y[i] = Long.toString(Math.round(grid.depths()[i]));
        HeatMap.write(png, title, "Context length (tokens)", "Needle depth (%)", x, y, accuracy, 0, 1, "Accuracy");
    }

    static String lengthLabel(int l) {
        if (l >= 1_000_000 && l % 1_000_000 == 0) return (l / 1_000_000) + "M";
        if (l >= 1024 && l % 1024 == 0) return (l / 1024) + "K";
        if (l >= 1000) return Math.round(l / 1000.0) + "K";
        return Integer.toString(l);
    }

    /** Writes {@code text} to {@code file} through a temporary file and a rename. */
    public static void writeAtomically(Path file, String text) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        Files.writeString(tmp, text);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
