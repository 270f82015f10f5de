package lwm.tensor.safetensors;

import java.nio.file.Path;

/** A safetensors file or index that breaks the format; the message is one line naming the file (and tensor). */
public final class SafetensorsFormatException extends IllegalArgumentException {
    public SafetensorsFormatException(Path file, String problem) {
        super(file + ": " + oneLine(problem));
    }

    public SafetensorsFormatException(Path file, String tensor, String problem) {
        super(file + ": tensor '" + oneLine(tensor) + "': " + oneLine(problem));
    }

    static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
    }
}
