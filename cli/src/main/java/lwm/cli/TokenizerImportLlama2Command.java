package lwm.cli;

import lwm.tokenizer.Llama2TokenizerImport;
import lwm.tokenizer.Tokenizer;
import lwm.tokenizer.Tokenizers;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** {@code ./lwm tokenizer-import-llama2}: LLaMA-2's tokenizer.json from a local copy of llama-tokenizer-js. */
final class TokenizerImportLlama2Command implements Command {
    public String name() { return "tokenizer-import-llama2"; }
    public String summary() { return "rebuild LLaMA-2's tokenizer.json from a local llama-tokenizer-js llama-tokenizer.js"; }

    public int run(Args args) throws Exception {
        if (args.flag("help")) {
            System.out.print("""
                    usage: ./lwm tokenizer-import-llama2 --js FILE --out DIR_OR_FILE

                      --js FILE   llama-tokenizer.js from the npm package llama-tokenizer-js (e.g. after `npm pack llama-tokenizer-js`)
                      --out PATH  directory (tokenizer.json is written inside) or the tokenizer.json path; written atomically
                    """);
            return 0;
        }
        String js = args.required("js"), outArg = args.required("out");
        args.finish();
        Path jsFile = Path.of(js);
        if (!Files.isRegularFile(jsFile)) throw new UsageError(js + ": no such file");
        Path out = Path.of(outArg);
        if (Files.isDirectory(out) || !outArg.endsWith(".json")) out = out.resolve("tokenizer.json");
        var json = Llama2TokenizerImport.fromJs(jsFile);
        Llama2TokenizerImport.write(json, out);
        Tokenizer tok = Tokenizers.load(out);
        int[] hello = tok.encode("Hello world", true);
        System.out.printf("wrote %s: %d tokens, %d merges; \"Hello world\" -> %s%n", out, tok.vocabSize(),
                json.get("model").get("merges").size(), Arrays.toString(hello));
        if (!Arrays.equals(hello, Llama2TokenizerImport.LLAMA2_HELLO_WORLD))
            System.out.println("note: LLaMA-2's vocabulary gives " + Arrays.toString(Llama2TokenizerImport.LLAMA2_HELLO_WORLD)
                    + "; this file holds a different vocabulary");
        return 0;
    }
}
