package lwm.model.niah;

import lwm.tokenizer.Tokenizer;

/** A real tokenizer (tokenizer.json / SentencePiece) behind the needle harness. */
public final class TokenizerCodec implements PromptCodec {
    private final Tokenizer tok;

    public TokenizerCodec(Tokenizer tok) {
        if (tok.eosId() < 0) throw new IllegalArgumentException("the tokenizer has no EOS token");
        this.tok = tok;
    }

    @Override public int[] encode(String text) { return tok.encodeLiteral(text); }
    @Override public String decode(int[] ids) { return tok.decode(ids); }
    @Override public int bosId() { return tok.bosId(); }
    @Override public int eosId() { return tok.eosId(); }
    @Override public int vocabSize() { return tok.vocabSize(); }
}
