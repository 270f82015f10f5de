package lwm.model.plot;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LinePlotTest {
    @Test void writesAReadablePngWithTheCurveInsideTheAxes(@TempDir Path dir) throws Exception {
        double[] x = new double[50], y = new double[50];
        for (int i = 0; i < 50; i++) { x[i] = i + 1; y[i] = 5 * Math.exp(-i / 10.0) + 1; }
        Path f = dir.resolve("loss.png");
        new LinePlot("Training loss", "step", "loss").add("loss", x, y).marker(25, "stage 2").writePng(f, 640, 400);
        BufferedImage img = ImageIO.read(f.toFile());
        assertEquals(640, img.getWidth());
        assertEquals(400, img.getHeight());
        int blue = 0;
        for (int i = 0; i < img.getWidth(); i++)
            for (int j = 0; j < img.getHeight(); j++) {
                int rgb = img.getRGB(i, j);
                if (((rgb & 0xff) > 150) && (((rgb >> 16) & 0xff) < 90)) blue++;
            }
        assertTrue(blue > 300, "the series is drawn (" + blue + " blue pixels)");
    }

    @Test void ticksAreRoundNumbers() {
        assertEquals(0.5, LinePlot.tickStep(3.1, 6), 1e-12);
        assertEquals(20, LinePlot.tickStep(130, 8), 1e-12);
        assertEquals("0.25", LinePlot.format(0.25, 0.05));
    }
}
