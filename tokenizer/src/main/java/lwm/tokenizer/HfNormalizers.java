package lwm.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;

/** The {@code normalizer} section of a tokenizer.json as a string function. */
final class HfNormalizers {
    private HfNormalizers() {}

    static UnaryOperator<String> parse(JsonNode n, String where, String field) {
        if (n == null || n.isNull()) return UnaryOperator.identity();
        String type = HfJson.type(n, where, field);
        switch (type) {
            case "Sequence": {
                JsonNode list = HfJson.array(n, "normalizers", where, field);
                List<UnaryOperator<String>> steps = new ArrayList<>();
                for (int i = 0; i < list.size(); i++) steps.add(parse(list.get(i), where, field + ".normalizers[" + i + "]"));
                return s -> { for (var f : steps) s = f.apply(s); return s; };
            }
            case "Prepend": {
                String p = HfJson.text(n, "prepend", where, field);
                return s -> s.isEmpty() ? s : p + s;
            }
            case "Replace": return HfJson.replacement(n, where, field);
            case "NFC": return s -> Normalizer.normalize(s, Normalizer.Form.NFC);
            case "NFD": return s -> Normalizer.normalize(s, Normalizer.Form.NFD);
            case "NFKC": return s -> Normalizer.normalize(s, Normalizer.Form.NFKC);
            case "NFKD": return s -> Normalizer.normalize(s, Normalizer.Form.NFKD);
            case "Lowercase": return s -> s.toLowerCase(Locale.ROOT);
            case "Strip": {
                boolean left = n.path("strip_left").asBoolean(false), right = n.path("strip_right").asBoolean(false);
                return s -> {
                    int a = 0, b = s.length();
                    if (left) while (a < b && HfJson.isWhitespace(s.charAt(a))) a++;
                    if (right) while (b > a && HfJson.isWhitespace(s.charAt(b - 1))) b--;
                    return s.substring(a, b);
                };
            }
            default:
                throw new TokenizerFormatException(where + ": field " + field + ".type: normalizer '" + type + "' is not supported");
        }
    }
}
