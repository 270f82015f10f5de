package lwm.model.plot;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A line chart as PNG (java.awt, headless): title, labelled axes with round-number ticks, one or more
 * series with a legend, optional vertical markers (e.g. stage boundaries). Written atomically.
 */
public final class LinePlot {
    public record Series(String name, double[] x, double[] y) {}

    private record Marker(double x, String label) {}

    private static final Color[] PALETTE = {new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44), new Color(214, 39, 40)};

    private final String title, xLabel, yLabel;
    private final List<Series> series = new ArrayList<>();
    private final List<Marker> markers = new ArrayList<>();

    public LinePlot(String title, String xLabel, String yLabel) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
    }

    public LinePlot add(String name, double[] x, double[] y) {
        if (x.length != y.length) throw new IllegalArgumentException("series '" + name + "': " + x.length + " x values, " + y.length + " y values");
        series.add(new Series(name, x.clone(), y.clone()));
        return this;
    }

    public LinePlot marker(double x, String label) {
        markers.add(new Marker(x, label));
        return this;
    }

    /** "Nice" tick step (1, 2 or 5 x 10^k) giving about {@code target} ticks over span. */
    static double tickStep(double span, int target) {
        if (!(span > 0)) return 1;
        double raw = span / target, mag = Math.pow(10, Math.floor(Math.log10(raw))), f = raw / mag;
        return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
    }

    static String format(double v, double step) {
        if (Math.abs(v) < step * 1e-6) return "0";
        if (Math.abs(v) >= 1e5 || step < 1e-3) return String.format("%.2g", v);
        int decimals = step >= 1 ? 0 : (int) Math.ceil(-Math.log10(step));
        return String.format("%." + decimals + "f", v);
    }

    public BufferedImage render(int width, int height) {
        double x0 = Double.POSITIVE_INFINITY, x1 = Double.NEGATIVE_INFINITY, y0 = Double.POSITIVE_INFINITY, y1 = Double.NEGATIVE_INFINITY;
        for (Series s : series)
            for (int i = 0; i < s.x.length; i++) {
                if (!Double.isFinite(s.y[i])) continue;
                x0 = Math.min(x0, s.x[i]); x1 = Math.max(x1, s.x[i]);
                y0 = Math.min(y0, s.y[i]); y1 = Math.max(y1, s.y[i]);
            }
        if (x0 > x1) { x0 = 0; x1 = 1; y0 = 0; y1 = 1; }
        if (x1 == x0) { x0 -= 0.5; x1 += 0.5; }
        if (y1 == y0) { y0 -= 0.5; y1 += 0.5; }
        double ys = tickStep(y1 - y0, 6), xs = tickStep(x1 - x0, 8);
        y0 = Math.floor(y0 / ys) * ys; y1 = Math.ceil(y1 / ys) * ys;

        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        Font font = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
        g.setFont(font);
        FontMetrics fm = g.getFontMetrics();
        int left = 80, right = 30, top = 45, bottom = 60;
        int pw = width - left - right, ph = height - top - bottom;
        final double fx0 = x0, fx1 = x1, fy0 = y0, fy1 = y1;
        java.util.function.DoubleUnaryOperator px = v -> left + (v - fx0) / (fx1 - fx0) * pw;
        java.util.function.DoubleUnaryOperator py = v -> top + ph - (v - fy0) / (fy1 - fy0) * ph;

        // grid and ticks
        g.setStroke(new BasicStroke(1f));
        for (double v = Math.ceil(y0 / ys) * ys; v <= y1 + ys * 1e-9; v += ys) {
            int y = (int) Math.round(py.applyAsDouble(v));
            g.setColor(new Color(225, 225, 225));
            g.drawLine(left, y, left + pw, y);
            g.setColor(Color.DARK_GRAY);
            String s = format(v, ys);
            g.drawString(s, left - 8 - fm.stringWidth(s), y + fm.getAscent() / 2 - 1);
        }
        for (double v = Math.ceil(x0 / xs) * xs; v <= x1 + xs * 1e-9; v += xs) {
            int x = (int) Math.round(px.applyAsDouble(v));
            g.setColor(new Color(225, 225, 225));
            g.drawLine(x, top, x, top + ph);
            g.setColor(Color.DARK_GRAY);
            String s = format(v, xs);
            g.drawString(s, x - fm.stringWidth(s) / 2, top + ph + fm.getAscent() + 6);
        }
        g.setColor(Color.BLACK);
        g.drawRect(left, top, pw, ph);

        // stage markers
        g.setStroke(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {5f, 4f}, 0f));
        for (Marker m : markers) {
            if (m.x < x0 || m.x > x1) continue;
            int x = (int) Math.round(px.applyAsDouble(m.x));
            g.setColor(Color.GRAY);
            g.drawLine(x, top, x, top + ph);
            g.drawString(m.label, x + 4, top + fm.getAscent() + 2);
        }

        // series
        g.setStroke(new BasicStroke(1.8f));
        for (int k = 0; k < series.size(); k++) {
            Series s = series.get(k);
            g.setColor(PALETTE[k % PALETTE.length]);
            Path2D.Double path = new Path2D.Double();
            boolean started = false;
            for (int i = 0; i < s.x.length; i++) {
                if (!Double.isFinite(s.y[i])) { started = false; continue; }
                double x = px.applyAsDouble(s.x[i]), y = py.applyAsDouble(s.y[i]);
                if (started) path.lineTo(x, y); else { path.moveTo(x, y); started = true; }
            }
            g.draw(path);
            if (s.x.length == 1) g.fillOval((int) px.applyAsDouble(s.x[0]) - 3, (int) py.applyAsDouble(s.y[0]) - 3, 6, 6);
            // legend
            int ly = top + 12 + k * 18;
            g.fillRect(left + pw - 150, ly - 5, 18, 4);
            g.setColor(Color.BLACK);
            g.drawString(s.name, left + pw - 126, ly + 1);
        }

        // title and axis labels
        g.setColor(Color.BLACK);
        g.setFont(font.deriveFont(Font.BOLD, 16f));
        FontMetrics tm = g.getFontMetrics();
        g.drawString(title, (width - tm.stringWidth(title)) / 2, 28);
        g.setFont(font.deriveFont(14f));
        FontMetrics lm = g.getFontMetrics();
        g.drawString(xLabel, left + (pw - lm.stringWidth(xLabel)) / 2, height - 15);
        Graphics2D r = (Graphics2D) g.create();
        r.rotate(-Math.PI / 2);
        r.drawString(yLabel, -(top + (ph + lm.stringWidth(yLabel)) / 2), 22);
        r.dispose();
        g.dispose();
        return img;
    }

    /** Renders to {@code file} (PNG) through a temporary file and a rename. */
    public void writePng(Path file, int width, int height) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            Path tmp = parent.resolve("." + file.getFileName() + ".tmp");
            if (!ImageIO.write(render(width, height), "png", tmp.toFile())) throw new IOException("no PNG writer");
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
