#!/usr/bin/env python3
"""Cross-implementation check for lwm's safetensors reader/writer and bf16/f16 rounding.

  safetensors_cross.py make DIR SEED   writes py_values.safetensors (f32, i32, i64 sources) and
                                       py_half.safetensors (the same floats rounded by torch to bf16/f16)
  safetensors_cross.py check FILE DIR  verifies a file written by lwm against torch's rounding of DIR's values
  safetensors_cross.py serve DIR SEED [FIXTURE]
                                       make, print "SHA256 name hex" for every tensor of FIXTURE (a file
                                       written by PyTorch), print READY, read FILE from stdin, check it

The safetensors format is written and parsed by hand here (torch 1.13 has no safetensors support), so
this is an independent implementation of the byte layout. Rounding comes from torch when it is
importable, otherwise from numpy (f16) and integer arithmetic (bf16); metadata says which.
"""
import json
import struct
import sys

import numpy as np

try:
    import torch
except ImportError:  # rounding then comes from numpy
    torch = None

DTYPES = {"F32": ("<f4", 4), "F16": ("<f2", 2), "BF16": ("<u2", 2), "I32": ("<i4", 4), "I64": ("<i8", 8)}


def to_bf16_bits(x):
    x = np.ascontiguousarray(x, dtype=np.float32)
    if torch is not None:
        return torch.from_numpy(x.copy()).to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)
    b = x.view(np.uint32).astype(np.uint64)
    rounded = ((b + 0x7FFF + ((b >> 16) & 1)) >> 16).astype(np.uint16)
    nan = np.isnan(x)
    rounded[nan] = ((b[nan] >> 16) | 0x40).astype(np.uint16)
    return rounded


def to_f16_bits(x):
    x = np.ascontiguousarray(x, dtype=np.float32)
    if torch is not None:
        return torch.from_numpy(x.copy()).to(torch.float16).numpy().view(np.uint16)
    with np.errstate(over="ignore"):
        return x.astype(np.float16).view(np.uint16)


def values(seed):
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2**32, size=4000, dtype=np.uint64).astype(np.uint32)
    parts = [
        bits.view(np.float32),                                                  # every exponent, NaNs
        ((bits & 0xFFFF0000) | 0x8000).view(np.float32),                       # bf16 ties
        ((bits & 0x807FE000) | ((rng.integers(100, 145, 4000).astype(np.uint32)) << 23) | 0x1000).view(np.float32),  # f16 ties
        ((rng.integers(0, 2048, 4000) + 0.5) * 2.0**-24).astype(np.float32),   # f16 subnormal ties
        (rng.standard_normal(4000) * 10.0).astype(np.float32),
        np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 65504, 65520, 3.4028235e38, 1e-45, 1.0 + 2**-8], dtype=np.float32),
    ]
    return np.concatenate(parts).astype(np.float32)


def write(path, tensors, metadata):
    header, blobs, at = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, (dtype, shape, arr) in tensors.items():
        raw = np.ascontiguousarray(arr).astype(DTYPES[dtype][0]).tobytes()
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [at, at + len(raw)]}
        blobs.append(raw)
        at += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - (len(h) + 8) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    body = data[8 + n:]
    meta = header.pop("__metadata__", {})
    out, spans = {}, []
    for name, e in header.items():
        dt, width = DTYPES[e["dtype"]]
        b, end = e["data_offsets"]
        count = int(np.prod(e["shape"], dtype=np.int64))
        assert end - b == count * width, f"{name}: offsets {b},{end} do not match {e['dtype']} x {e['shape']}"
        assert b % width == 0, f"{name}: data at {b} is not aligned to {width} bytes"
        out[name] = (e["dtype"], e["shape"], np.frombuffer(body[b:end], dtype=dt).reshape(e["shape"]))
        spans.append((b, end))
    spans.sort()
    at = 0
    for b, end in spans:
        assert b == at, f"gap or overlap at byte {at}"
        at = end
    assert at == len(body), f"tensors cover {at} bytes of {len(body)}"
    assert (8 + n) % 8 == 0, "header length leaves the data section unaligned"
    return meta, out


def same_bits(expected, actual, nan_of, what):
    bad = np.nonzero(expected != actual)[0]
    # NaN only has to stay NaN: torch itself returns NaNs of either sign (0xffff) from its vector path
    bad = [i for i in bad if not (nan_of(expected[i]) and nan_of(actual[i]))]
    if bad:
        i = bad[0]
        raise AssertionError(f"{what}: {len(bad)} mismatches, first at {i}: expected 0x{int(expected[i]):04x} got 0x{int(actual[i]):04x}")


def bf16_nan(b):
    return (int(b) & 0x7F80) == 0x7F80 and (int(b) & 0x7F) != 0


def f16_nan(b):
    return (int(b) & 0x7C00) == 0x7C00 and (int(b) & 0x3FF) != 0


def make(out, seed):
    x = values(seed)
    m = (np.arange(15, dtype=np.float32).reshape(3, 5) - 7.25) / 3.0
    ints = np.array([-2**31, -1, 0, 7, 2**31 - 1], dtype=np.int32)
    ids = np.array([-2**63, 2**40 + 1, 32000, 2**63 - 1], dtype=np.int64)
    rounding = "torch" if torch is not None else "numpy"
    write(f"{out}/py_values.safetensors",
          {"x": ("F32", x.shape, x), "m": ("F32", m.shape, m), "ints": ("I32", ints.shape, ints), "ids": ("I64", ids.shape, ids)},
          {"creator": "python", "rounding": rounding})
    write(f"{out}/py_half.safetensors",
          {"x.bf16": ("BF16", x.shape, to_bf16_bits(x)), "x.f16": ("F16", x.shape, to_f16_bits(x).view(np.float16)),
           "m.bf16": ("BF16", m.shape, to_bf16_bits(m)), "m.f16": ("F16", m.shape, to_f16_bits(m).view(np.float16))},
          {"creator": "python", "rounding": rounding})
    print(f"wrote {len(x)} values, rounding by {rounding}", flush=True)


def check(path, src):
    _, vals = read(f"{src}/py_values.safetensors")
    meta, got = read(path)
    assert meta.get("creator") == "lwm", f"metadata {meta}"
    x, m = vals["x"][2], vals["m"][2]
    same_bits(to_bf16_bits(x), got["x.bf16"][2].view(np.uint16), bf16_nan, "x.bf16")
    same_bits(to_f16_bits(x), got["x.f16"][2].view(np.uint16), f16_nan, "x.f16")
    assert got["m.t"][0] == "F32" and list(got["m.t"][1]) == [5, 3], f"m.t header {got['m.t'][:2]}"
    assert np.array_equal(got["m.t"][2], m.T), "m.t values"
    assert np.array_equal(got["ints"][2], vals["ints"][2]) and np.array_equal(got["ids"][2], vals["ids"][2]), "integers"
    print("OK", len(got), "tensors", flush=True)


def main():
    mode = sys.argv[1]
    if mode == "make":
        make(sys.argv[2], int(sys.argv[3]))
    elif mode == "check":
        check(sys.argv[2], sys.argv[3])
    elif mode == "serve":
        make(sys.argv[2], int(sys.argv[3]))
        if len(sys.argv) > 4:
            import hashlib
            _, tensors = read(sys.argv[4])
            for name, (_, _, arr) in tensors.items():
                print("SHA256", name, hashlib.sha256(arr.tobytes()).hexdigest(), flush=True)
        print("READY", flush=True)
        line = sys.stdin.readline().strip()
        if line:
            check(line, sys.argv[2])
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
