package lwm.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** Field access for tokenizer.json with one-line errors naming the file and the field. */
final class HfJson {
    private HfJson() {}

    static String type(JsonNode n, String where, String field) {
        if (!n.isObject()) throw new TokenizerFormatException(where + ": field " + field + " is not an object");
        JsonNode t = n.get("type");
        if (t == null || !t.isTextual()) throw new TokenizerFormatException(where + ": field " + field + ".type is missing");
        return t.asText();
    }

    static String text(JsonNode n, String name, String where, String field) {
        JsonNode t = n.get(name);
        if (t == null || !t.isTextual()) throw new TokenizerFormatException(where + ": field " + field + "." + name + " is missing or not a string");
        return t.asText();
    }

    static JsonNode array(JsonNode n, String name, String where, String field) {
        JsonNode t = n.get(name);
        if (t == null || !t.isArray()) throw new TokenizerFormatException(where + ": field " + field + "." + name + " is missing or not an array");
        return t;
    }

    /** {"pattern": {"String": s} | {"Regex": r}, "content": c} as a replace-all function. */
    static UnaryOperator<String> replacement(JsonNode n, String where, String field) {
        String content = text(n, "content", where, field);
        JsonNode p = n.get("pattern");
        if (p != null && p.get("String") != null && p.get("String").isTextual()) {
            String lit = p.get("String").asText();
            if (lit.isEmpty()) throw new TokenizerFormatException(where + ": field " + field + ".pattern.String is empty");
            return s -> s.replace(lit, content);
        }
        if (p != null && p.get("Regex") != null && p.get("Regex").isTextual()) {
            Pattern re;
            try {
                re = Pattern.compile(p.get("Regex").asText());
            } catch (PatternSyntaxException e) {
                throw new TokenizerFormatException(where + ": field " + field + ".pattern.Regex is not a valid regular expression: " + e.getDescription());
            }
            String quoted = Matcher.quoteReplacement(content);
            return s -> re.matcher(s).replaceAll(quoted);
        }
        throw new TokenizerFormatException(where + ": field " + field + ".pattern must be {\"String\": ...} or {\"Regex\": ...}");
    }

    /** Unicode White_Space, as Rust's char::is_whitespace. */
    static boolean isWhitespace(int c) {
        return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 || c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a)
                || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
    }

    /** Rust's char::is_alphanumeric: alphabetic or numeric (Nd, Nl, No). */
    static boolean isAlphanumeric(int c) {
        if (Character.isAlphabetic(c)) return true;
        int t = Character.getType(c);
        return t == Character.DECIMAL_DIGIT_NUMBER || t == Character.LETTER_NUMBER || t == Character.OTHER_NUMBER;
    }
}
