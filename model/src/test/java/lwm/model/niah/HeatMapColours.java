package lwm.model.niah;

import java.awt.Color;
import java.awt.image.BufferedImage;

/** Reads a cell's colour back from a rendered heat map (layout of {@link lwm.model.plot.HeatMap}). */
final class HeatMapColours {
    private HeatMapColours() {}

    /** Colour of column {@code col} of {@code cols} on the first row, between the grid's dark borders. */
    static Color sampleCell(BufferedImage img, int col, int cols) {
        int y = 60 + 3, left = 0;
        while ((img.getRGB(left, y) & 0xffffff) != 0x404040) left++; // the grid's left border
        int x = left + 2;
        while (x < img.getWidth() - 1 && (img.getRGB(x, y) & 0xffffff) != 0x404040) x++;
        int cell = (x - left) / cols;
        return new Color(img.getRGB(left + col * cell + 2, y));
    }
}
