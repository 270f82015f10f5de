#!/usr/bin/python3
"""Test fixture: trains small SentencePiece models and writes their encodings of held-out text.

usage: train_sp.py OUT_DIR [SEED]

For every configuration below it writes OUT_DIR/<name>.model and OUT_DIR/<name>.json:
  {"model": "<name>.model", "cases": [{"text", "ids", "pieces", "decoded"}],
   "random_decode": [{"ids", "text"}]}
`random_decode` holds random id sequences (byte pieces, control and unknown ids included) and what
SentencePiece decodes them to, so decoding is checked on sequences no encoder would produce.
"""
import json
import os
import random
import struct
import sys

import sentencepiece as spm

out = sys.argv[1]
seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
rng = random.Random(seed)
os.makedirs(out, exist_ok=True)

WORDS = ("the of and to in is was that for it with as his on be at by had are but from or have an they "
         "which one you were her all she there would their we him been has when who will more no if out so "
         "said what up its about into than them can only other new some could time these two may then do "
         "first any my now such like our over man me even most made after also did many before must through "
         "back years where much your way well down should because each just those people how too little state "
         "good very make world still own see men work long get here between both life being under never day "
         "same another know while last might us great old year off come since against go came right used take "
         "three").split()
SCRIPTS = ["naïve café résumé Ünïcödé straße", "Привет, мир! как дела", "مرحبا بالعالم", "שלום עולם",
           "日本語のテキストです。東京", "中文字符测试，你好世界", "한국어 텍스트", "ελληνικά γράμματα",
           "हिन्दी पाठ", "ไทย ภาษา"]
EMOJI = ["🤖", "🚀", "👩‍👩‍👧", "🎉", "❤️", "🇫🇷", "😀"]
CODE = ["def f(x):\n    return x**2  # code", "for (int i = 0; i < n; i++) { a[i] += b[i]; }",
        "{\"key\": [1, 2, 3], \"v\": null}", "SELECT * FROM t WHERE id = 42;", "<html><body>hi</body></html>"]


def sentence(r):
    parts = []
    for _ in range(r.randint(3, 14)):
        k = r.random()
        if k < 0.70:
            w = r.choice(WORDS)
            parts.append(w.capitalize() if r.random() < 0.1 else w)
        elif k < 0.80:
            parts.append(str(r.randint(0, 10 ** r.randint(1, 7))))
        elif k < 0.88:
            parts.append(r.choice(r.choice(SCRIPTS).split()))
        elif k < 0.92:
            parts.append(r.choice(EMOJI))
        else:
            parts.append(r.choice(",.;:!?()-\"'"))
    return " ".join(parts) + r.choice([".", "!", "?", ""])


def corpus(r, n):
    lines = [sentence(r) for _ in range(n)]
    lines += SCRIPTS * 3 + CODE * 3
    return lines


def held_out(r):
    texts = ["", " ", "  ", "Hello world", " leading space", "trailing spaces   ", "two  spaces and\ttab\nnewline",
             "\n\n\t", "1234567890 3.14159", "<s>not special</s>", "<unk>", "▁ already escaped ▁▁", "a" * 60,
             "ąčęėįšųūž ĄČĘĖĮŠŲŪŽ", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 math", "\u0000\u0001\u007f control", "\ufeffBOM", "Ａｂｃ full width ｶﾀｶﾅ",
             "e\u0301 combining", "ﬁ ligature ½ ² ™", "emoji 🤖🚀 and 👩‍👩‍👧", "tab\tinside\tline", "CR\r\nLF"]
    texts += SCRIPTS + CODE
    for _ in range(60):
        texts.append(sentence(r))
    for _ in range(20):  # random unicode soup, whitespace runs included
        cs = []
        for _ in range(r.randint(1, 30)):
            k = r.random()
            if k < 0.3:
                cs.append(" " * r.randint(1, 4))
            elif k < 0.4:
                cs.append(r.choice(["\t", "\n", "\r\n", " \n "]))
            elif k < 0.7:
                cs.append(chr(r.randint(0x20, 0x7e)))
            elif k < 0.85:
                cs.append(chr(r.randint(0xa0, 0x2fff)))
            elif k < 0.95:
                cs.append(chr(r.randint(0x4e00, 0x9fff)))
            else:
                cs.append(chr(r.randint(0x1f300, 0x1faff)))
        texts.append("".join(cs))
    texts.append(" ".join(sentence(r) for _ in range(40)))  # a long paragraph
    return texts


CONFIGS = [
    # LLaMA-like: identity normalisation, whitespace kept, byte fallback, digits split
    dict(name="bpe_llama", model_type="bpe", vocab_size=600, byte_fallback=True, normalization_rule_name="identity",
         remove_extra_whitespaces=False, add_dummy_prefix=True, split_digits=True, user_defined_symbols=["<tool>", "@@"]),
    # default normaliser (nmt_nfkc charsmap) and extra-whitespace removal
    dict(name="bpe_nfkc", model_type="bpe", vocab_size=500, byte_fallback=True),
    # no dummy prefix, no byte fallback: unknown characters become <unk>
    dict(name="bpe_plain", model_type="bpe", vocab_size=400, byte_fallback=False, normalization_rule_name="identity",
         remove_extra_whitespaces=False, add_dummy_prefix=False),
    # extra pieces spanning words ("e▁t", appended below): the Java encoder must then merge over the whole text
    dict(name="bpe_nosplit", model_type="bpe", vocab_size=600, byte_fallback=True, normalization_rule_name="identity",
         remove_extra_whitespaces=False, add_dummy_prefix=True),
    # unigram models: default normaliser; LLaMA-like with byte fallback and user-defined pieces
    dict(name="unigram", model_type="unigram", vocab_size=300, byte_fallback=False),
    dict(name="unigram_llama", model_type="unigram", vocab_size=700, byte_fallback=True, normalization_rule_name="identity",
         remove_extra_whitespaces=False, add_dummy_prefix=True, user_defined_symbols=["<tool>", "@@"]),
]

def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out


def append_pieces(path, pieces):
    """Appends NORMAL pieces to a serialized ModelProto (repeated fields concatenate)."""
    extra = b""
    for piece, score in pieces:
        pb = piece.encode("utf-8")
        body = b"\x0a" + varint(len(pb)) + pb + b"\x15" + struct.pack("<f", score)
        extra += b"\x0a" + varint(len(body)) + body
    with open(path, "ab") as f:
        f.write(extra)


train = corpus(rng, 3000)
heldout = held_out(rng)
for cfg in CONFIGS:
    cfg = dict(cfg)
    name = cfg.pop("name")
    spm.SentencePieceTrainer.train(sentence_iterator=iter(train), model_prefix=os.path.join(out, name),
                                   character_coverage=0.9995 if cfg.get("byte_fallback") else 1.0,
                                   num_threads=1, minloglevel=2, hard_vocab_limit=False, **cfg)
    if name == "bpe_nosplit":
        append_pieces(os.path.join(out, name + ".model"), [("e▁t", 0.5), ("s▁", 0.25), ("s▁t", 0.75), ("d▁▁", 0.1)])
    sp = spm.SentencePieceProcessor(model_file=os.path.join(out, name + ".model"))
    cases = []
    for t in heldout:
        ids = sp.encode(t)
        cases.append(dict(text=t, ids=ids, pieces=[sp.id_to_piece(i) for i in ids], decoded=sp.decode(ids)))
    special = [i for i in range(sp.get_piece_size()) if sp.is_byte(i) or sp.is_control(i) or sp.is_unknown(i)]
    rand = []
    for _ in range(300):
        ids = [rng.choice(special) if rng.random() < 0.5 else rng.randrange(sp.get_piece_size())
               for _ in range(rng.randint(0, 12))]
        rand.append(dict(ids=ids, text=sp.decode(ids)))
    with open(os.path.join(out, name + ".json"), "w", encoding="utf-8") as f:
        json.dump(dict(model=name + ".model", bos=sp.bos_id(), eos=sp.eos_id(), cases=cases, random_decode=rand), f)
    os.remove(os.path.join(out, name + ".vocab"))
print("ok", out)
