#!/usr/bin/python3
"""Peer for `./lwm bench tokenize`: trains a LLaMA-style SentencePiece BPE model on the book (or reuses one),
then times SentencePiece encoding the book line by line (one batch call, one thread) and as one string.

usage: sp_peer.py BOOK MODEL_PREFIX VOCAB REPEAT IDS_OUT
writes IDS_OUT (line-by-line ids, concatenated) and IDS_OUT.book (whole-book ids);
prints one JSON line: {"lines_seconds", "lines_tokens", "book_seconds", "book_tokens", "train_seconds"}
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


def best_of(f):
    best, out = None, None
    for _ in range(max(1, repeat)):
        t = time.perf_counter()
        out = f()
        dt = time.perf_counter() - t
        best = dt if best is None else min(best, dt)
    return best, out


lines = text.split("\n")
lines_s, per_line = best_of(lambda: sp.encode(lines, num_threads=1))
flat = [i for ids in per_line for i in ids]
book_s, book = best_of(lambda: sp.encode(text))
with open(ids_out, "w") as f:
    f.write(",".join(map(str, flat)))
with open(ids_out + ".book", "w") as f:
    f.write(",".join(map(str, book)))
print(json.dumps({"lines_seconds": lines_s, "lines_tokens": len(flat), "book_seconds": book_s, "book_tokens": len(book),
                  "train_seconds": train}))
