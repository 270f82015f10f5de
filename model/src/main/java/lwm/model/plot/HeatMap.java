package lwm.model.plot;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A grid of values as coloured cells (red = low, yellow, green = high, as in the LWM needle figure) with
 * labelled axes, tick labels, a colour scale and a title; written as PNG (headless AWT).
 */
public final class HeatMap {
    private HeatMap() {}

    /** Red -> yellow -> green over [0, 1]. */
    public static Color colour(double t) {
        if (Double.isNaN(t)) return Color.LIGHT_GRAY;
        t = Math.max(0, Math.min(1, t));
        float r, g, b;
        if (t < 0.5) { r = 0.86f; g = (float) (0.20 + 1.36 * t); b = 0.20f; }
        else { r = (float) (0.86 - 1.40 * (t - 0.5)); g = 0.88f; b = (float) (0.20 + 0.12 * (t - 0.5)); }
        return new Color(clamp(r), clamp(g), clamp(b));
    }

    private static float clamp(float v) { return Math.max(0, Math.min(1, v)); }

    /**
     * @param values {@code values[row][col]}: row = y tick (top row first), col = x tick
     */
    public static BufferedImage render(String title, String xLabel, String yLabel, String[] xTicks, String[] yTicks,
                                       double[][] values, double min, double max, String scaleLabel) {
        int rows = yTicks.length, cols = xTicks.length;
        if (values.length != rows) throw new IllegalArgumentException(values.length + " rows of values for " + rows + " y ticks");
        for (double[] r : values) if (r.length != cols) throw new IllegalArgumentException(r.length + " values in a row for " + cols + " x ticks");
        int cell = Math.max(18, Math.min(56, 900 / Math.max(cols, rows)));
        int left = 90, top = 60, right = 130, bottom = 80;
        // wide enough for the title, the plot centred in the extra room
        int titleWidth = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB).createGraphics()
                .getFontMetrics(new Font(Font.SANS_SERIF, Font.BOLD, 15)).stringWidth(title) + 40;
        int w0 = left + cols * cell + right;
        if (titleWidth > w0) left += (titleWidth - w0) / 2;
        int w = Math.max(w0, titleWidth), h = top + rows * cell + bottom;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        Font small = new Font(Font.SANS_SERIF, Font.PLAIN, 11), label = new Font(Font.SANS_SERIF, Font.PLAIN, 13),
                bold = new Font(Font.SANS_SERIF, Font.BOLD, 15);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) {
                double v = values[r][c];
                g.setColor(colour((v - min) / (max - min)));
                g.fillRect(left + c * cell, top + r * cell, cell, cell);
                if (cell >= 30 && !Double.isNaN(v)) {
                    g.setColor(Color.BLACK);
                    g.setFont(small);
                    centre(g, String.format("%.2f", v), left + c * cell + cell / 2, top + r * cell + cell / 2 + 4);
                }
            }
        g.setColor(Color.DARK_GRAY);
        g.setStroke(new BasicStroke(1));
        g.drawRect(left, top, cols * cell, rows * cell);
        g.setFont(small);
        FontMetrics fm = g.getFontMetrics();
        int xStep = Math.max(1, (int) Math.ceil(cols / (double) Math.max(1, cols * cell / 40)));
        for (int c = 0; c < cols; c += xStep) centre(g, xTicks[c], left + c * cell + cell / 2, top + rows * cell + 16);
        int yStep = Math.max(1, (int) Math.ceil(rows / (double) Math.max(1, rows * cell / 16)));
        for (int r = 0; r < rows; r += yStep)
            g.drawString(yTicks[r], left - 6 - fm.stringWidth(yTicks[r]), top + r * cell + cell / 2 + 4);
        g.setFont(label);
        centre(g, xLabel, left + cols * cell / 2, top + rows * cell + 44);
        AffineTransform saved = g.getTransform();
        g.rotate(-Math.PI / 2);
        centre(g, yLabel, -(top + rows * cell / 2), 30);
        g.setTransform(saved);
        g.setFont(bold);
        centre(g, title, w / 2, 34);
        // colour scale
        int sx = left + cols * cell + 30, sh = rows * cell, sw = 18;
        for (int i = 0; i < sh; i++) {
            g.setColor(colour(1 - i / (double) (sh - 1)));
            g.fillRect(sx, top + i, sw, 1);
        }
        g.setColor(Color.DARK_GRAY);
        g.drawRect(sx, top, sw, sh);
        g.setFont(small);
        for (int i = 0; i <= 4; i++) {
            double v = max - (max - min) * i / 4.0;
            int y = top + (int) Math.round(sh * i / 4.0);
            g.drawLine(sx + sw, y, sx + sw + 4, y);
            g.drawString(String.format("%.2f", v), sx + sw + 7, y + 4);
        }
        g.setFont(label);
        saved = g.getTransform();
        g.rotate(Math.PI / 2);
        centre(g, scaleLabel, top + sh / 2, -(sx + sw + 58));
        g.setTransform(saved);
        g.dispose();
        return img;
    }

    private static void centre(Graphics2D g, String s, int x, int y) {
        g.drawString(s, x - g.getFontMetrics().stringWidth(s) / 2, y);
    }

    public static void write(Path png, String title, String xLabel, String yLabel, String[] xTicks, String[] yTicks,
                             double[][] values, double min, double max, String scaleLabel) throws IOException {
        System.setProperty("java.awt.headless", "true");
        BufferedImage img = render(title, xLabel, yLabel, xTicks, yTicks, values, min, max, scaleLabel);
        Path dir = png.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, png.getFileName().toString(), ".tmp");
        if (!ImageIO.write(img, "png", tmp.toFile())) throw new IOException("no PNG writer");
        Files.move(tmp, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
