package lwm.model;

import lwm.tensor.Tensor;
import lwm.tensor.safetensors.SafetensorsCheckpoint;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;

/**
 * A Hugging Face LLaMA directory: {@code config.json} plus {@code model.safetensors} or sharded
 * {@code model-*.safetensors} with an index. The weights are mapped, never copied; close releases them.
 */
public final class LlamaCheckpoint implements AutoCloseable {
    private final Path dir;
    private final LlamaConfig config;
    private final SafetensorsCheckpoint file;
    private final LlamaWeights weights;

    private LlamaCheckpoint(Path dir, LlamaConfig config, SafetensorsCheckpoint file, LlamaWeights weights) {
        this.dir = dir;
        this.config = config;
        this.file = file;
        this.weights = weights;
    }

    /** Opens and validates the directory; every problem is one line naming the file or tensor. */
    public static LlamaCheckpoint load(Path dir) {
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException(dir + ": not a model directory");
        Path cfgFile = dir.resolve("config.json");
        if (!Files.isRegularFile(cfgFile)) throw new IllegalArgumentException(cfgFile + ": not found (a Hugging Face model directory has one)");
        LlamaConfig config = LlamaConfig.read(cfgFile);
        if (!Files.exists(dir.resolve(SafetensorsCheckpoint.SINGLE)) && !Files.exists(dir.resolve(SafetensorsCheckpoint.INDEX))) {
            boolean bin = Files.exists(dir.resolve("pytorch_model.bin")) || Files.exists(dir.resolve("pytorch_model.bin.index.json"));
            throw new IllegalArgumentException(dir + ": no model.safetensors or model.safetensors.index.json"
                    + (bin ? " (PyTorch .bin weights are not read; convert them to safetensors first)" : ""));
        }
        SafetensorsCheckpoint st = SafetensorsCheckpoint.open(dir);
        try {
            LlamaWeights w = LlamaWeights.from(config, new TensorSource() {
                @Override public Collection<String> names() { return st.names(); }
                @Override public boolean has(String name) { return st.has(name); }
                @Override public Tensor tensor(String name) { return st.tensor(name); }
            });
            return new LlamaCheckpoint(dir, config, st, w);
        } catch (IllegalArgumentException e) {
            st.close();
            throw new IllegalArgumentException(dir + ": " + e.getMessage());
        }
    }

    public Path dir() { return dir; }
    public LlamaConfig config() { return config; }
    public LlamaWeights weights() { return weights; }

    /** tokenizer.model (LWM's own, preferred as the tokenizer module does) or tokenizer.json next to the weights, or null. */
    public Path tokenizerFile() {
        for (String n : new String[]{"tokenizer.model", "tokenizer.json"}) {
            Path p = dir.resolve(n);
            if (Files.isRegularFile(p)) return p;
        }
        return null;
    }

    @Override
    public void close() { file.close(); }
}
