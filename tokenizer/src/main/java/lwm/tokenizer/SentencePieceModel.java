package lwm.tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The fields of a SentencePiece {@code ModelProto} that encoding and decoding use, parsed by hand. */
final class SentencePieceModel {
    // ModelProto.SentencePiece.Type
    static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;
    // TrainerSpec.ModelType
    static final int UNIGRAM = 1, BPE = 2, WORD = 3, CHAR = 4;

    final String source;
    final List<String> pieces = new ArrayList<>();
    float[] scores = new float[0];
    byte[] types = new byte[0];

    int modelType = UNIGRAM;
    boolean byteFallback;
    boolean treatWhitespaceAsSuffix;
    String unkPiece = "<unk>", bosPiece = "<s>", eosPiece = "</s>", padPiece = "<pad>";
    String unkSurface = " \u2047 ";

    String normalizerName = "";
    byte[] charsmap = new byte[0];
    boolean addDummyPrefix = true, removeExtraWhitespaces = true, escapeWhitespaces = true;
    boolean hasDenormalizer;

    private SentencePieceModel(String source) { this.source = source; }

    static SentencePieceModel read(Path file) {
        byte[] data;
        try {
            data = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new TokenizerFormatException(file + ": cannot read (" + e.getMessage() + ")");
        }
        return parse(data, file.toString());
    }

    static SentencePieceModel parse(byte[] data, String source) {
        int first = 0;
        while (first < data.length && Character.isWhitespace(data[first])) first++;
        if (first < data.length && data[first] == '{')
            throw new TokenizerFormatException(source + ": looks like JSON, not a SentencePiece model (a tokenizer.json must end in .json)");
        SentencePieceModel m = new SentencePieceModel(source);
        List<Float> scores = new ArrayList<>();
        List<Integer> types = new ArrayList<>();
        boolean sawTrainer = false;
        ProtoReader r = new ProtoReader(data, 0, data.length, source);
        while (r.next()) {
            switch (r.field()) {
                case 1 -> {
                    ProtoReader p = r.message("pieces[" + m.pieces.size() + "]");
                    String piece = null;
                    float score = 0;
                    int type = NORMAL;
                    while (p.next()) {
                        switch (p.field()) {
                            case 1 -> piece = p.string();
                            case 2 -> score = p.fixed32Float();
                            case 3 -> type = p.int32();
                            default -> p.skip();
                        }
                    }
                    if (piece == null) throw new TokenizerFormatException(source + ": pieces[" + m.pieces.size() + "] has no piece string");
                    if (type < NORMAL || type > BYTE)
                        throw new TokenizerFormatException(source + ": pieces[" + m.pieces.size() + "] (" + piece + ") has unknown type " + type);
                    m.pieces.add(piece);
                    scores.add(score);
                    types.add(type);
                }
                case 2 -> { sawTrainer = true; readTrainer(r.message("trainer_spec"), m); }
                case 3 -> readNormalizer(r.message("normalizer_spec"), m);
                case 5 -> { r.skip(); m.hasDenormalizer = true; }
                default -> r.skip();
            }
        }
        if (m.pieces.isEmpty()) throw new TokenizerFormatException(source + ": no pieces (not a SentencePiece model, or empty file)");
        if (!sawTrainer) throw new TokenizerFormatException(source + ": no trainer_spec (not a SentencePiece model?)");
        m.scores = new float[scores.size()];
        m.types = new byte[types.size()];
        for (int i = 0; i < scores.size(); i++) { m.scores[i] = scores.get(i); m.types[i] = (byte) (int) types.get(i); }
        return m;
    }

    private static void readTrainer(ProtoReader t, SentencePieceModel m) {
        while (t.next()) {
            switch (t.field()) {
                case 3 -> m.modelType = t.int32();
                case 24 -> m.treatWhitespaceAsSuffix = t.bool();
                case 35 -> m.byteFallback = t.bool();
                case 44 -> m.unkSurface = t.string();
                case 45 -> m.unkPiece = t.string();
                case 46 -> m.bosPiece = t.string();
                case 47 -> m.eosPiece = t.string();
                case 48 -> m.padPiece = t.string();
                default -> t.skip();
            }
        }
    }

    private static void readNormalizer(ProtoReader n, SentencePieceModel m) {
        while (n.next()) {
            switch (n.field()) {
                case 1 -> m.normalizerName = n.string();
                case 2 -> m.charsmap = n.bytes();
                case 3 -> m.addDummyPrefix = n.bool();
                case 4 -> m.removeExtraWhitespaces = n.bool();
                case 5 -> m.escapeWhitespaces = n.bool();
                default -> n.skip();
            }
        }
    }

    int size() { return pieces.size(); }
}
