#!/usr/bin/python3
"""Peer for `./lwm bench tokenize`: trains a LLaMA-style SentencePiece BPE model on the book (or reuses one),
then times SentencePiece encoding the whole book.

usage: sp_peer.py BOOK MODEL_PREFIX VOCAB REPEAT IDS_OUT
prints one JSON line: {"seconds": best, "tokens": n, "train_seconds": t}
"""
import json
import os
import sys
import time

import sentencepiece as spm

book, prefix, vocab, repeat, ids_out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
text = open(book, encoding="utf-8").read()
t0 = time.perf_counter()
if not os.path.exists(prefix + ".model"):
    lines = [l for l in text.split("\n") if l.strip()][:20000]
    spm.SentencePieceTrainer.train(sentence_iterator=iter(lines), model_prefix=prefix, model_type="bpe",
                                   vocab_size=vocab, byte_fallback=True, normalization_rule_name="identity",
                                   remove_extra_whitespaces=False, split_digits=True, character_coverage=0.9995,
                                   num_threads=1, minloglevel=2, hard_vocab_limit=False)
train = time.perf_counter() - t0
sp = spm.SentencePieceProcessor(model_file=prefix + ".model")
best = None
ids = None
for _ in range(repeat):
    t = time.perf_counter()
    ids = sp.encode(text)
    dt = time.perf_counter() - t
    best = dt if best is None else min(best, dt)
with open(ids_out, "w") as f:
    f.write(",".join(map(str, ids)))
print(json.dumps({"seconds": best, "tokens": len(ids), "train_seconds": train}))
