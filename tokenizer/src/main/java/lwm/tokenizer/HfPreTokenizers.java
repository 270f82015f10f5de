package lwm.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/** The {@code pre_tokenizer} section of a tokenizer.json: splits a normalised segment into words. */
final class HfPreTokenizers {
    private HfPreTokenizers() {}

    /** Splits {@code s}; {@code atStart} says whether the segment begins the original text (Metaspace "first"). */
    interface PreTokenizer {
        void split(String s, boolean atStart, List<String> out);
    }

    static PreTokenizer parse(JsonNode n, String where, String field) {
        if (n == null || n.isNull()) return (s, atStart, out) -> out.add(s);
        String type = HfJson.type(n, where, field);
        switch (type) {
            case "Sequence": {
                JsonNode list = HfJson.array(n, "pretokenizers", where, field);
                List<PreTokenizer> steps = new ArrayList<>();
                for (int i = 0; i < list.size(); i++) steps.add(parse(list.get(i), where, field + ".pretokenizers[" + i + "]"));
                return (s, atStart, out) -> {
                    List<String> cur = List.of(s);
                    for (PreTokenizer p : steps) {
                        List<String> next = new ArrayList<>();
                        boolean first = atStart;
                        for (String w : cur) { p.split(w, first, next); first = false; }
                        cur = next;
                    }
                    for (String w : cur) if (!w.isEmpty()) out.add(w);
                };
            }
            case "Metaspace": return metaspace(n, where, field);
            default:
                throw new TokenizerFormatException(where + ": field " + field + ".type: pre_tokenizer '" + type + "' is not supported");
        }
    }

    /** "always" / "first" / "never", from prepend_scheme or the older add_prefix_space flag. */
    static String prependScheme(JsonNode n, String where, String field) {
        JsonNode ps = n.get("prepend_scheme");
        if (ps != null && !ps.isNull()) {
            String v = ps.asText();
            if (!v.equals("always") && !v.equals("first") && !v.equals("never"))
                throw new TokenizerFormatException(where + ": field " + field + ".prepend_scheme is '" + v + "', expected always, first or never");
            return v;
        }
        return n.path("add_prefix_space").asBoolean(true) ? "always" : "never";
    }

    static String replacementChar(JsonNode n, String where, String field) {
        String rep = HfJson.text(n, "replacement", where, field);
        if (rep.codePointCount(0, rep.length()) != 1)
            throw new TokenizerFormatException(where + ": field " + field + ".replacement must be one character, got '" + rep + "'");
        return rep;
    }

    private static PreTokenizer metaspace(JsonNode n, String where, String field) {
        String rep = replacementChar(n, where, field);
        String scheme = prependScheme(n, where, field);
        boolean split = n.path("split").asBoolean(true);
        return (s, atStart, out) -> {
            s = s.replace(" ", rep);
            if (!s.startsWith(rep) && (scheme.equals("always") || (scheme.equals("first") && atStart))) s = rep + s;
            if (!split) { out.add(s); return; }
            int from = 0;
            for (int i = s.indexOf(rep, 1); i >= 0; i = s.indexOf(rep, i + rep.length())) {
                if (i > from) out.add(s.substring(from, i));
                from = i;
            }
            if (from < s.length()) out.add(s.substring(from));
        };
    }
}
