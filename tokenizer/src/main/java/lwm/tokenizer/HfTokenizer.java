package lwm.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * A Hugging Face {@code tokenizer.json} with a BPE model (the LLaMA/Mistral family): added tokens split out
 * first, then normaliser, pre-tokenizer, BPE with byte fallback, TemplateProcessing for BOS/EOS, and the
 * decoder chain for decoding. Behaviour follows the {@code tokenizers} library; tests compare with it.
 */
public final class HfTokenizer implements Tokenizer {
    private final String source;
    private final HfBpe bpe;
    private final UnaryOperator<String> normalizer;
    private final HfPreTokenizers.PreTokenizer preTokenizer;
    private final HfDecoders.Decoder decoder;
    private final HfAddedTokens rawAdded, normalizedAdded;
    private final Map<Integer, String> addedById = new HashMap<>();
    private final Map<String, Integer> addedByContent = new HashMap<>();
    private final Set<String> specialContents = new HashSet<>();
    private final int[] templatePrefix, templateSuffix;
    private final int bosId, eosId, vocabSize;

    public static HfTokenizer load(Path file) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new TokenizerFormatException(file + ": not valid JSON (line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + "): " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new TokenizerFormatException(file + ": cannot read (" + e.getMessage() + ")");
        }
        if (root == null || !root.isObject()) throw new TokenizerFormatException(file + ": not a tokenizer.json object");
        JsonNode config = null;
        Path cfg = file.resolveSibling("tokenizer_config.json");
        if (Files.isRegularFile(cfg)) {
            try {
                config = new ObjectMapper().readTree(cfg.toFile());
            } catch (IOException e) {
                throw new TokenizerFormatException(cfg + ": not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
            }
        }
        return new HfTokenizer(root, config, file.toString());
    }

    /** From parsed JSON; {@code config} is the optional tokenizer_config.json (for bos_token/eos_token). */
    public static HfTokenizer fromJson(JsonNode root, JsonNode config, String name) { return new HfTokenizer(root, config, name); }

    private HfTokenizer(JsonNode root, JsonNode config, String where) {
        this.source = where;
        JsonNode model = root.get("model");
        if (model == null || !model.isObject()) throw new TokenizerFormatException(where + ": field model is missing");
        bpe = new HfBpe(model, where);
        normalizer = HfNormalizers.parse(root.get("normalizer"), where, "normalizer");
        preTokenizer = HfPreTokenizers.parse(root.get("pre_tokenizer"), where, "pre_tokenizer");
        decoder = HfDecoders.parse(root.get("decoder"), where, "decoder");

        List<HfAddedTokens.Token> raw = new ArrayList<>(), norm = new ArrayList<>();
        JsonNode added = root.get("added_tokens");
        int maxId = bpe.idToToken.length - 1;
        if (added != null && !added.isNull()) {
            if (!added.isArray()) throw new TokenizerFormatException(where + ": field added_tokens is not an array");
            List<JsonNode> entries = new ArrayList<>();
            for (int i = 0; i < added.size(); i++) {
                JsonNode a = added.get(i);
                String f = "added_tokens[" + i + "]";
                if (!a.path("id").canConvertToInt() || a.path("id").asInt() < 0)
                    throw new TokenizerFormatException(where + ": field " + f + ".id is missing or not a non-negative integer");
                HfJson.text(a, "content", where, f);
                entries.add(a);
            }
            entries.sort(java.util.Comparator.comparingInt(a -> a.get("id").asInt()));
            // tokenizers re-derives the ids rather than trusting the file: a content already in the vocabulary keeps
            // that id, a new one gets the next id after the vocabulary / the added tokens so far
            int maxAdded = -1;
            for (JsonNode a : entries) {
                String content = a.get("content").asText();
                if (addedByContent.containsKey(content)) continue;
                boolean special = a.path("special").asBoolean(false);
                Integer known = bpe.vocab.get(content);
                int id = known != null ? known : maxAdded < 0 ? bpe.vocab.size() : maxAdded >= bpe.vocab.size() ? maxAdded + 1 : bpe.vocab.size();
                maxAdded = Math.max(maxAdded, id);
                var t = new HfAddedTokens.Token(id, content, a.path("single_word").asBoolean(false),
                        a.path("lstrip").asBoolean(false), a.path("rstrip").asBoolean(false),
                        a.path("normalized").asBoolean(!special), special);
                (t.normalized() ? norm : raw).add(t);
                addedById.put(id, content);
                addedByContent.put(content, id);
                if (special) specialContents.add(content);
                maxId = Math.max(maxId, id);
            }
        }
        vocabSize = maxId + 1;
        rawAdded = new HfAddedTokens(raw);
        normalizedAdded = new HfAddedTokens(norm);

        IntList prefix = new IntList(4), suffix = new IntList(4);
        parsePostProcessor(root.get("post_processor"), where, "post_processor", prefix, suffix);
        templatePrefix = prefix.toArray();
        templateSuffix = suffix.toArray();
        int bos = configToken(config, "bos_token");
        if (bos < 0) bos = templatePrefix.length > 0 ? templatePrefix[0] : idOf("<s>");
        int eos = configToken(config, "eos_token");
        if (eos < 0) eos = templateSuffix.length > 0 ? templateSuffix[templateSuffix.length - 1] : idOf("</s>");
        bosId = bos;
        eosId = eos;
    }

    private int configToken(JsonNode config, String key) {
        if (config == null) return -1;
        JsonNode t = config.get(key);
        if (t == null || t.isNull()) return -1;
        String content = t.isTextual() ? t.asText() : t.path("content").asText(null);
        return content == null ? -1 : idOf(content);
    }

    private void parsePostProcessor(JsonNode n, String where, String field, IntList prefix, IntList suffix) {
        if (n == null || n.isNull()) return;
        String type = HfJson.type(n, where, field);
        switch (type) {
            case "TemplateProcessing" -> {
                JsonNode single = HfJson.array(n, "single", where, field);
                JsonNode specials = n.path("special_tokens");
                boolean afterSequence = false;
                for (int i = 0; i < single.size(); i++) {
                    JsonNode item = single.get(i);
                    if (item.has("Sequence")) { afterSequence = true; continue; }
                    JsonNode st = item.get("SpecialToken");
                    if (st == null) throw new TokenizerFormatException(where + ": field " + field + ".single[" + i + "] is neither Sequence nor SpecialToken");
                    String name = st.path("id").asText();
                    JsonNode ids = specials.path(name).path("ids");
                    if (!ids.isArray() || ids.isEmpty())
                        throw new TokenizerFormatException(where + ": field " + field + ".special_tokens[\"" + name + "\"].ids is missing");
                    for (JsonNode id : ids) (afterSequence ? suffix : prefix).add(id.asInt());
                }
            }
            case "Sequence" -> {
                JsonNode list = HfJson.array(n, "processors", where, field);
                for (int i = 0; i < list.size(); i++) parsePostProcessor(list.get(i), where, field + ".processors[" + i + "]", prefix, suffix);
            }
            case "ByteLevel" -> { }  // only adjusts offsets
            default -> throw new TokenizerFormatException(where + ": field " + field + ".type: post_processor '" + type + "' is not supported");
        }
    }

    @Override
    public int[] encode(String text, boolean addBos) { return encode(text, addBos, true); }

    /** As tokenizers' {@code encode_special_tokens=True}: special tokens are not split out; other added tokens are. */
    @Override
    public int[] encodeLiteral(String text) { return encode(text, false, false); }

    private int[] encode(String text, boolean addBos, boolean splitSpecial) {
        IntList out = new IntList(text.length() / 3 + 4);
        if (addBos) out.addAll(templatePrefix);
        List<HfAddedTokens.Piece> pieces = new ArrayList<>();
        if (rawAdded.isEmpty()) pieces.add(new HfAddedTokens.Piece(-1, text, 0));
        else rawAdded.split(text, 0, splitSpecial, pieces);
        List<String> words = new ArrayList<>();
        for (HfAddedTokens.Piece p : pieces) {
            if (p.id() >= 0) { out.add(p.id()); continue; }
            if (p.text().isEmpty()) continue;
            String normalized = normalizer.apply(p.text());
            List<HfAddedTokens.Piece> sub = new ArrayList<>();
            if (normalizedAdded.isEmpty()) sub.add(new HfAddedTokens.Piece(-1, normalized, p.offset()));
            else normalizedAdded.split(normalized, p.offset(), splitSpecial, sub);
            for (HfAddedTokens.Piece q : sub) {
                if (q.id() >= 0) { out.add(q.id()); continue; }
                if (q.text().isEmpty()) continue;
                words.clear();
                preTokenizer.split(q.text(), q.offset() == 0, words);
                for (String w : words) bpe.encode(w, out);
            }
        }
        if (addBos) out.addAll(templateSuffix);
        return out.toArray();
    }

    @Override
    public String decode(int[] ids) {
        List<String> tokens = new ArrayList<>(ids.length);
        for (int id : ids) {
            String t = token(id);
            if (specialContents.contains(t) && addedById.containsKey(id)) continue;
            tokens.add(t);
        }
        if (decoder == null) return String.join(" ", tokens);
        return String.join("", decoder.apply(tokens));
    }

    private String token(int id) {
        String t = addedById.get(id);
        if (t == null && id >= 0 && id < bpe.idToToken.length) t = bpe.idToToken[id];
        if (t == null) throw new IllegalArgumentException("token id " + id + " is not in the vocabulary of " + source);
        return t;
    }

    /** Whether BPE may run word by word (for tests). */
    boolean wordsIndependent() { return bpe.wordsIndependent(); }

    @Override public int bosId() { return bosId; }
    @Override public int eosId() { return eosId; }
    @Override public int vocabSize() { return vocabSize; }

    @Override
    public int idOf(String piece) {
        Integer a = addedByContent.get(piece);
        if (a != null) return a;
        Integer v = bpe.vocab.get(piece);
        return v != null ? v : -1;
    }

    @Override public String pieceOf(int id) { return token(id); }

    @Override public boolean isSpecial(int id) { return addedById.containsKey(id) && specialContents.contains(addedById.get(id)); }

    @Override public String toString() { return "tokenizer.json BPE (" + vocabSize + " tokens, " + source + ")"; }
}
