package lwm.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/** The {@code decoder} section of a tokenizer.json: a chain of functions over the list of token strings. */
final class HfDecoders {
    private HfDecoders() {}

    interface Decoder {
        List<String> apply(List<String> tokens);
    }

    /** Null when the file has no decoder (tokens are then joined with spaces, as tokenizers does). */
    static Decoder parse(JsonNode n, String where, String field) {
        if (n == null || n.isNull()) return null;
        String type = HfJson.type(n, where, field);
        switch (type) {
            case "Sequence": {
                JsonNode list = HfJson.array(n, "decoders", where, field);
                List<Decoder> steps = new ArrayList<>();
                for (int i = 0; i < list.size(); i++) {
                    Decoder d = parse(list.get(i), where, field + ".decoders[" + i + "]");
                    if (d == null) throw new TokenizerFormatException(where + ": field " + field + ".decoders[" + i + "] is null");
                    steps.add(d);
                }
                return tokens -> { for (Decoder d : steps) tokens = d.apply(tokens); return tokens; };
            }
            case "Replace": {
                UnaryOperator<String> f = HfJson.replacement(n, where, field);
                return tokens -> tokens.stream().map(f).toList();
            }
            case "ByteFallback": return HfDecoders::byteFallback;
            case "Fuse": return tokens -> List.of(String.join("", tokens));
            case "Strip": return strip(n, where, field);
            case "Metaspace": {
                String rep = HfPreTokenizers.replacementChar(n, where, field);
                boolean dropFirst = !HfPreTokenizers.prependScheme(n, where, field).equals("never");
                return tokens -> {
                    List<String> out = new ArrayList<>(tokens.size());
                    for (int i = 0; i < tokens.size(); i++) {
                        // tokenizers drops every replacement char of the first token, not only a leading one
                        String t = tokens.get(i);
                        out.add(i == 0 && dropFirst ? t.replace(rep, "") : t.replace(rep, " "));
                    }
                    return out;
                };
            }
            default:
                throw new TokenizerFormatException(where + ": field " + field + ".type: decoder '" + type + "' is not supported");
        }
    }

    /** Runs of &lt;0xNN&gt; tokens become their UTF-8 text, or one U+FFFD per byte if the run is not valid UTF-8. */
    private static List<String> byteFallback(List<String> tokens) {
        List<String> out = new ArrayList<>(tokens.size());
        byte[] run = new byte[tokens.size()];
        int n = 0;
        for (String t : tokens) {
            int b = Utf8.bytePiece(t);
            if (b >= 0) { run[n++] = (byte) b; continue; }
            flush(run, n, out);
            n = 0;
            out.add(t);
        }
        flush(run, n, out);
        return out;
    }

    private static void flush(byte[] run, int n, List<String> out) {
        if (n == 0) return;
        try {
            out.add(StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(run, 0, n)).toString());
        } catch (CharacterCodingException e) {
            for (int i = 0; i < n; i++) out.add("\uFFFD");
        }
    }

    private static Decoder strip(JsonNode n, String where, String field) {
        String content = HfJson.text(n, "content", where, field);
        if (content.codePointCount(0, content.length()) != 1)
            throw new TokenizerFormatException(where + ": field " + field + ".content must be one character");
        int c = content.codePointAt(0);
        int start = n.path("start").asInt(0), stop = n.path("stop").asInt(0);
        return tokens -> tokens.stream().map(t -> {
            int[] cps = t.codePoints().toArray();
            int a = 0, b = cps.length;
            while (a < Math.min(start, cps.length) && cps[a] == c) a++;
            for (int i = 0; i < stop && b > a && cps[b - 1] == c; i++) b--;
            return new String(cps, a, b - a);
        }).toList();
    }
}
