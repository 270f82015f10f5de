package lwm.tensor.safetensors;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lwm.tensor.DType;

/**
 * The parsed and validated JSON header of a safetensors file. Validation is complete before any tensor
 * is handed out: every entry has a known dtype, non-negative dims, and byte offsets that equal
 * dtype x shape and tile the data section exactly (no gap, no overlap, nothing past its end), so
 * that reading a tensor can never leave its file.
 */
record SafetensorsHeader(Map<String, String> metadata, Map<String, TensorInfo> tensors) {
    /** The reference implementation's cap; a larger length is a corrupt or hostile file. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    static final String METADATA_KEY = "__metadata__";

    static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** Element sizes of every fixed-width dtype of the format (sub-byte ones are not accepted). */
    private static final Map<String, Integer> DTYPE_BYTES = Map.ofEntries(
            Map.entry("BOOL", 1), Map.entry("U8", 1), Map.entry("I8", 1), Map.entry("F8_E5M2", 1),
            Map.entry("F8_E4M3", 1), Map.entry("F8_E8M0", 1), Map.entry("I16", 2), Map.entry("U16", 2),
            Map.entry("F16", 2), Map.entry("BF16", 2), Map.entry("I32", 4), Map.entry("U32", 4),
            Map.entry("F32", 4), Map.entry("F64", 8), Map.entry("I64", 8), Map.entry("U64", 8));

    static int dtypeBytes(String name) {
        Integer b = DTYPE_BYTES.get(name);
        return b == null ? -1 : b;
    }

    static SafetensorsHeader parse(Path file, byte[] json, long dataBytes) {
        if (json.length == 0 || json[0] != '{')
            throw new SafetensorsFormatException(file, "header does not start with '{' (not a safetensors file?)");
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            var loc = e.getLocation();
            String where = loc == null ? "" : " at header line " + loc.getLineNr() + " column " + loc.getColumnNr();
            throw new SafetensorsFormatException(file, "header JSON" + where + ": " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw new SafetensorsFormatException(file, "header JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) throw new SafetensorsFormatException(file, "header is not a JSON object");

        Map<String, String> metadata = new LinkedHashMap<>();
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (var it = root.properties().iterator(); it.hasNext(); ) {
            var e = it.next();
            String name = e.getKey();
            JsonNode v = e.getValue();
            if (name.equals(METADATA_KEY)) {
                if (!v.isObject()) throw new SafetensorsFormatException(file, METADATA_KEY + " is not a JSON object");
                for (var m = v.properties().iterator(); m.hasNext(); ) {
                    var kv = m.next();
                    if (!kv.getValue().isTextual())
                        throw new SafetensorsFormatException(file, METADATA_KEY + " entry '" + kv.getKey() + "' is not a string");
                    metadata.put(kv.getKey(), kv.getValue().textValue());
                }
                continue;
            }
            tensors.put(name, entry(file, name, v));
        }
        checkLayout(file, tensors.values(), dataBytes);
        return new SafetensorsHeader(Collections.unmodifiableMap(metadata), Collections.unmodifiableMap(tensors));
    }

    private static TensorInfo entry(Path file, String name, JsonNode v) {
        if (!v.isObject()) throw new SafetensorsFormatException(file, name, "entry is not a JSON object");
        JsonNode dt = v.get("dtype");
        if (dt == null) throw new SafetensorsFormatException(file, name, "missing dtype");
        if (!dt.isTextual()) throw new SafetensorsFormatException(file, name, "dtype is not a string");
        String dtypeName = dt.textValue();
        int width = dtypeBytes(dtypeName);
        if (width < 0) throw new SafetensorsFormatException(file, name, "unknown dtype '" + dtypeName + "'");

        JsonNode sh = v.get("shape");
        if (sh == null) throw new SafetensorsFormatException(file, name, "missing shape");
        if (!sh.isArray()) throw new SafetensorsFormatException(file, name, "shape is not an array");
        long[] shape = new long[sh.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = sh.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToLong())
                throw new SafetensorsFormatException(file, name, "shape[" + i + "] = " + d + " is not an integer");
            shape[i] = d.longValue();
            if (shape[i] < 0) throw new SafetensorsFormatException(file, name, "negative dimension shape[" + i + "] = " + shape[i]);
            try {
                numel = Math.multiplyExact(numel, shape[i]);
            } catch (ArithmeticException ex) {
                throw new SafetensorsFormatException(file, name, "shape " + sh + " has more elements than a long holds");
            }
        }
        long bytes;
        try {
            bytes = Math.multiplyExact(numel, width);
        } catch (ArithmeticException ex) {
            throw new SafetensorsFormatException(file, name, "shape " + sh + " has more bytes than a long holds");
        }

        JsonNode off = v.get("data_offsets");
        if (off == null) throw new SafetensorsFormatException(file, name, "missing data_offsets");
        if (!off.isArray() || off.size() != 2) throw new SafetensorsFormatException(file, name, "data_offsets is not an array of two integers");
        long[] be = new long[2];
        for (int i = 0; i < 2; i++) {
            JsonNode o = off.get(i);
            if (!o.isIntegralNumber() || !o.canConvertToLong() || o.longValue() < 0)
                throw new SafetensorsFormatException(file, name, "data_offsets[" + i + "] = " + o + " is not a non-negative integer");
            be[i] = o.longValue();
        }
        if (be[1] < be[0]) throw new SafetensorsFormatException(file, name, "data_offsets " + off + " end before they begin");
        if (be[1] - be[0] != bytes)
            throw new SafetensorsFormatException(file, name, "data_offsets " + off + " span " + (be[1] - be[0])
                    + " bytes but " + dtypeName + " x " + sh + " needs " + bytes);
        return new TensorInfo(name, dtypeName, DType.fromSafetensors(dtypeName), shape, be[0], be[1]);
    }

    private static void checkLayout(Path file, java.util.Collection<TensorInfo> entries, long dataBytes) {
        List<TensorInfo> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long expected = 0;
        TensorInfo previous = null;
        for (TensorInfo t : sorted) {
            if (t.end() > dataBytes)
                throw new SafetensorsFormatException(file, t.name(), "data_offsets [" + t.begin() + "," + t.end()
                        + "] run past the data section of " + dataBytes + " bytes");
            if (t.begin() < expected)
                throw new SafetensorsFormatException(file, t.name(), "data_offsets [" + t.begin() + "," + t.end()
                        + "] overlap tensor '" + previous.name() + "' [" + previous.begin() + "," + previous.end() + "]");
            if (t.begin() > expected)
                throw new SafetensorsFormatException(file, t.name(), "data_offsets [" + t.begin() + "," + t.end()
                        + "] leave a gap of " + (t.begin() - expected) + " bytes after byte " + expected);
            expected = t.end();
            previous = t;
        }
        if (expected != dataBytes)
            throw new SafetensorsFormatException(file, "tensors cover " + expected + " bytes but the data section holds " + dataBytes);
    }
}
