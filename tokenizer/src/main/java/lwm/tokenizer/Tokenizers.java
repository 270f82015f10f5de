package lwm.tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;

/** Opens a tokenizer from a {@code tokenizer.json}, a SentencePiece {@code .model}, or a model directory. */
public final class Tokenizers {
    private Tokenizers() {}

    /**
     * A file ending in {@code .json} is read as a Hugging Face {@code tokenizer.json}, any other file as a
     * SentencePiece model. In a directory {@code tokenizer.model} is preferred (LWM's own tokenizer, used through
     * SentencePiece by its scripts), then {@code tokenizer.json}.
     */
    public static Tokenizer load(Path fileOrDir) {
        if (Files.isDirectory(fileOrDir)) {
            Path model = fileOrDir.resolve("tokenizer.model"), json = fileOrDir.resolve("tokenizer.json");
            if (Files.isRegularFile(model)) return SentencePieceTokenizer.load(model);
            if (Files.isRegularFile(json)) return HfTokenizer.load(json);
            throw new TokenizerFormatException(fileOrDir + ": no tokenizer.model or tokenizer.json in this directory");
        }
        if (!Files.exists(fileOrDir)) throw new TokenizerFormatException(fileOrDir + ": no such file or directory");
        if (fileOrDir.getFileName().toString().endsWith(".json")) return HfTokenizer.load(fileOrDir);
        return SentencePieceTokenizer.load(fileOrDir);
    }
}
