package lwm.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import lwm.tensor.DType;
import lwm.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/** TEMPORARY until the tensor branch lands. */
final class TmpSafetensors {
    static Map<String, Tensor> read(Path file) throws Exception {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), Arena.ofAuto());
            long hl = seg.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
            byte[] hb = seg.asSlice(8, hl).toArray(ValueLayout.JAVA_BYTE);
            JsonNode h = new ObjectMapper().readTree(new String(hb, StandardCharsets.UTF_8));
            Map<String, Tensor> m = new LinkedHashMap<>();
            for (var it = h.fields(); it.hasNext(); ) {
                var e = it.next();
                if (e.getKey().equals("__metadata__")) continue;
                JsonNode v = e.getValue();
                long[] shape = new long[v.get("shape").size()];
                for (int i = 0; i < shape.length; i++) shape[i] = v.get("shape").get(i).asLong();
                long b = v.get("data_offsets").get(0).asLong(), en = v.get("data_offsets").get(1).asLong();
                m.put(e.getKey(), Tensor.wrap(seg.asSlice(8 + hl + b, en - b), DType.fromSafetensors(v.get("dtype").asText()), shape));
            }
            return m;
        }
    }

    static void write(Path file, Map<String, Tensor> tensors) throws Exception {
        var mapper = new ObjectMapper();
        var h = mapper.createObjectNode();
        long off = 0;
        for (var e : tensors.entrySet()) {
            Tensor t = e.getValue();
            long n = t.numel() * t.dtype().bytes;
            var o = h.putObject(e.getKey());
            o.put("dtype", t.dtype().safetensorsName);
            var sh = o.putArray("shape");
            for (long d : t.shape()) sh.add(d);
            o.putArray("data_offsets").add(off).add(off + n);
            off += n;
        }
        byte[] hb = mapper.writeValueAsBytes(h);
        int pad = (8 - hb.length % 8) % 8;
        try (var out = new java.io.BufferedOutputStream(java.nio.file.Files.newOutputStream(file))) {
            var bb = java.nio.ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(hb.length + pad);
            out.write(bb.array());
            out.write(hb);
            for (int i = 0; i < pad; i++) out.write(' ');
            for (Tensor t : tensors.values()) out.write(t.segment().asSlice(t.offset() * t.dtype().bytes, t.numel() * t.dtype().bytes).toArray(ValueLayout.JAVA_BYTE));
        }
    }
}
