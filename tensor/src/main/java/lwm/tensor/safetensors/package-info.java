/**
 * The safetensors format (8-byte little-endian header length, JSON header, raw little-endian data).
 *
 * <ul>
 *   <li>{@link lwm.tensor.safetensors.SafetensorsFile}: one file, memory-mapped; tensors are zero-copy
 *       read-only views, valid until {@code close()}.</li>
 *   <li>{@link lwm.tensor.safetensors.SafetensorsCheckpoint}: a Hugging Face model directory (single
 *       {@code model.safetensors} or shards named by {@code model.safetensors.index.json}).</li>
 *   <li>{@link lwm.tensor.safetensors.SafetensorsWriter}: atomic, streaming writes of one file or of
 *       shards plus index.</li>
 * </ul>
 *
 * Headers are validated completely on open (dtype, shape, offsets tiling the data section exactly), so
 * a tensor handed out never reaches outside its file; malformed input raises
 * {@link lwm.tensor.safetensors.SafetensorsFormatException} (an {@code IllegalArgumentException}) with
 * a one-line message naming the file and tensor.
 */
package lwm.tensor.safetensors;
