package lwm.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rebuilds LLaMA-2's Hugging Face {@code tokenizer.json} from the npm package {@code llama-tokenizer-js}, whose
 * {@code llama-tokenizer.js} carries the vocabulary and merges as two base64 strings: {@code vocab_base64} (the
 * tokens in id order joined by "\n", UTF-8) and {@code merges_binary} (per merge, in priority order, two
 * little-endian uint16 vocabulary indices). The pipeline around them is LLaMA-2's: "▁"-prefix normaliser, BPE with
 * byte fallback, BOS added by the template, the Replace/ByteFallback/Fuse/Strip decoder.
 */
public final class Llama2TokenizerImport {
    private Llama2TokenizerImport() {}

    /** What {@code Hello world} encodes to with LLaMA-2's tokenizer (README of the fixtures). */
    public static final int[] LLAMA2_HELLO_WORLD = {1, 15043, 3186};

    public static ObjectNode fromJs(Path js) {
        String src;
        try {
            src = Files.readString(js, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new TokenizerFormatException(js + ": cannot read (" + e.getMessage() + ")");
        }
        List<String> vocab = List.of(utf8(base64(js, src, "vocab_base64"), js).split("\n", -1));
        byte[] merges = base64(js, src, "merges_binary");
        return build(vocab, merges, js.toString());
    }

    static ObjectNode build(List<String> vocab, byte[] merges, String where) {
        if (vocab.size() < 3 || !vocab.get(0).equals("<unk>") || !vocab.get(1).equals("<s>") || !vocab.get(2).equals("</s>"))
            throw new TokenizerFormatException(where + ": vocab_base64 does not start with <unk>, <s>, </s> (not a LLaMA vocabulary)");
        if (merges.length % 4 != 0)
            throw new TokenizerFormatException(where + ": merges_binary has " + merges.length + " bytes, not a multiple of 4");
        ObjectMapper m = new ObjectMapper();
        ObjectNode root = m.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < 3; i++) {
            added.addObject().put("id", i).put("content", vocab.get(i)).put("single_word", false).put("lstrip", false)
                    .put("rstrip", false).put("normalized", false).put("special", true);
        }
        ObjectNode norm = root.putObject("normalizer").put("type", "Sequence");
        ArrayNode ns = norm.putArray("normalizers");
        ns.addObject().put("type", "Prepend").put("prepend", "\u2581");
        ObjectNode rep = ns.addObject().put("type", "Replace");
        rep.putObject("pattern").put("String", " ");
        rep.put("content", "\u2581");
        root.putNull("pre_tokenizer");
        ObjectNode post = root.putObject("post_processor").put("type", "TemplateProcessing");
        post.putArray("single").addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        ((ArrayNode) post.get("single")).addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ArrayNode pair = post.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 1);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        ObjectNode bos = post.putObject("special_tokens").putObject("<s>").put("id", "<s>");
        bos.putArray("ids").add(1);
        bos.putArray("tokens").add("<s>");
        ObjectNode dec = root.putObject("decoder").put("type", "Sequence");
        ArrayNode ds = dec.putArray("decoders");
        ObjectNode d0 = ds.addObject().put("type", "Replace");
        d0.putObject("pattern").put("String", "\u2581");
        d0.put("content", " ");
        ds.addObject().put("type", "ByteFallback");
        ds.addObject().put("type", "Fuse");
        ds.addObject().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE").putNull("dropout");
        model.put("unk_token", "<unk>").putNull("continuing_subword_prefix").putNull("end_of_word_suffix");
        model.put("fuse_unk", true).put("byte_fallback", true).put("ignore_merges", false);
        ObjectNode v = model.putObject("vocab");
        for (int i = 0; i < vocab.size(); i++) {
            if (v.has(vocab.get(i))) throw new TokenizerFormatException(where + ": vocab_base64 lists '" + vocab.get(i) + "' twice (ids " + v.get(vocab.get(i)).asInt() + " and " + i + ")");
            v.put(vocab.get(i), i);
        }
        ArrayNode ms = model.putArray("merges");
        for (int k = 0; k < merges.length; k += 4) {
            int a = (merges[k] & 0xff) | (merges[k + 1] & 0xff) << 8, b = (merges[k + 2] & 0xff) | (merges[k + 3] & 0xff) << 8;
            if (a >= vocab.size() || b >= vocab.size())
                throw new TokenizerFormatException(where + ": merges_binary merge " + k / 4 + " refers to token " + Math.max(a, b) + " beyond the " + vocab.size() + "-token vocabulary");
            String x = vocab.get(a), y = vocab.get(b);
            if (x.contains(" ") || y.contains(" ")) ms.addArray().add(x).add(y);
            else ms.add(x + " " + y);
        }
        return root;
    }

    /** Writes tokenizer.json atomically (temp file, then rename). */
    public static void write(ObjectNode tokenizerJson, Path out) throws IOException {
        Path dir = out.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, ".tokenizer-", ".json.tmp");
        try {
            new ObjectMapper().writeValue(tmp.toFile(), tokenizerJson);
            try {
                Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static byte[] base64(Path js, String src, String name) {
        Matcher mt = Pattern.compile("\\b" + name + "\\s*[=:]\\s*([\"'`])([A-Za-z0-9+/=\\s\\\\n]*?)\\1").matcher(src);
        if (!mt.find())
            throw new TokenizerFormatException(js + ": no " + name + " string found (expected llama-tokenizer.js from the npm package llama-tokenizer-js)");
        String b64 = mt.group(2).replace("\\n", "").replaceAll("\\s", "");
        try {
            return Base64.getDecoder().decode(b64);
        } catch (IllegalArgumentException e) {
            throw new TokenizerFormatException(js + ": " + name + " is not valid base64 (" + e.getMessage() + ")");
        }
    }

    private static String utf8(byte[] b, Path js) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw new TokenizerFormatException(js + ": vocab_base64 does not decode to UTF-8 text");
        }
    }
}
