package lwm.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Random test text of every kind a tokenizer meets: words, scripts, emoji, whitespace runs, digits, code, special-token strings. */
final class TextGenerator {
    private static final String[] WORDS = ("the of and to in is was that for it with as his on be at by had are but from or have "
            + "an they which one you were her all she there would their we him been has when who will more no if out so said "
            + "Hello world The quick brown fox jumps over lazy dog needle haystack San Francisco").split(" ");
    private static final String[] SCRIPTS = {"naïve café résumé", "Ünïcödé straße", "Привет, мир!", "مرحبا بالعالم", "שלום",
            "日本語のテキスト", "中文字符测试，你好世界", "한국어 텍스트", "ελληνικά", "हिन्दी", "ไทย", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "e\u0301", "ﬁ ½ ™"};
    private static final String[] EMOJI = {"🤖", "🚀", "👩‍👩‍👧", "🎉", "❤️", "🇫🇷", "😀", "\uD83E\uDEE0"};
    private static final String[] CODE = {"def f(x):\n    return x**2  # code", "for (int i = 0; i < n; i++) { a[i] += b[i]; }",
            "{\"key\": [1, 2, 3]}", "SELECT * FROM t;", "<html><body>hi</body></html>", "\tif (x) {\n\t\ty();\n\t}"};
    private static final String[] WHITESPACE = {" ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", " \t ", "\u00a0", "\u3000", "\u2581"};

    private final Random r;
    private final String[] specials;

    TextGenerator(long seed, String... specials) { this.r = new Random(seed); this.specials = specials; }

    List<String> texts(int n) {
        List<String> out = new ArrayList<>(List.of("", " ", "  ", "\n", "Hello world", " leading", "trailing ", "a", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
        for (String s : specials) { out.add(s); out.add(s + s); out.add(" " + s + " x"); out.add("x" + s + "y"); }
        for (int i = 0; i < n; i++) out.add(text());
        StringBuilder para = new StringBuilder();
        for (int i = 0; i < 60; i++) para.append(text()).append(' ');
        out.add(para.toString());
        return out;
    }

    String text() {
        StringBuilder b = new StringBuilder();
        int parts = 1 + r.nextInt(16);
        for (int i = 0; i < parts; i++) {
            double k = r.nextDouble();
            if (k < 0.40) b.append(WORDS[r.nextInt(WORDS.length)]);
            else if (k < 0.50) b.append(r.nextInt(1 + r.nextInt(10_000_000)));
            else if (k < 0.58) b.append(SCRIPTS[r.nextInt(SCRIPTS.length)]);
            else if (k < 0.63) b.append(EMOJI[r.nextInt(EMOJI.length)]);
            else if (k < 0.68) b.append(CODE[r.nextInt(CODE.length)]);
            else if (k < 0.72 && specials.length > 0) b.append(specials[r.nextInt(specials.length)]);
            else if (k < 0.80) b.appendCodePoint(randomCodePoint());
            else b.append(",.;:!?()-\"'".charAt(r.nextInt(11)));
            b.append(r.nextDouble() < 0.75 ? " " : WHITESPACE[r.nextInt(WHITESPACE.length)]);
        }
        if (r.nextBoolean()) b.setLength(b.length() - 1);
        return b.toString();
    }

    private int randomCodePoint() {
        while (true) {
            int cp = switch (r.nextInt(4)) {
                case 0 -> 0x20 + r.nextInt(0x5f);
                case 1 -> 0xa0 + r.nextInt(0x2f60);
                case 2 -> 0x4e00 + r.nextInt(0x5200);
                default -> 0x1f300 + r.nextInt(0x800);
            };
            if (Character.isDefined(cp) && !Character.isSurrogate((char) cp)) return cp;
        }
    }
}
