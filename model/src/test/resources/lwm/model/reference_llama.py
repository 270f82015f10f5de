"""Reference LLaMA forward pass in PyTorch (f32 arithmetic), written from the Hugging Face definition:
pre-norm RMSNorm, rotate-half RoPE, grouped-query attention (repeat_kv), SwiGLU, optional tied head.
Reads safetensors itself (json header + raw little-endian data) so it needs only torch and numpy.

usage: reference_llama.py JOBS.json OUT.json
JOBS.json: [{"dir": model dir, "ids": [..]}, ...]; OUT.json: [{"logits": [[..] per position], "argmax": [..]}, ...]
"""
import json
import math
import struct
import sys

import numpy as np
import torch


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        raw = data[base + b:base + e]
        dt = info["dtype"]
        if dt == "F32":
            t = torch.from_numpy(np.frombuffer(raw, dtype="<f4").copy())
        elif dt == "F16":
            t = torch.from_numpy(np.frombuffer(raw, dtype="<f2").copy()).float()
        elif dt == "BF16":
            t = torch.from_numpy(np.frombuffer(raw, dtype="<i2").copy()).view(torch.bfloat16).float()
        else:
            raise ValueError("dtype " + dt)
        out[name] = t.reshape(info["shape"])
    return out


def rms_norm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def forward(cfg, w, ids):
    H, nh = cfg["hidden_size"], cfg["num_attention_heads"]
    nkv = cfg.get("num_key_value_heads") or nh
    hd = cfg.get("head_dim") or H // nh
    eps = cfg.get("rms_norm_eps", 1e-6)
    theta = cfg.get("rope_theta") or cfg.get("rope_parameters", {}).get("rope_theta", 10000.0)
    T = len(ids)
    x = w["model.embed_tokens.weight"][torch.tensor(ids)]
    inv = 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=torch.int64).float() / hd))
    ang = torch.outer(torch.arange(T).float(), inv)
    emb = torch.cat((ang, ang), dim=-1)
    cos, sin = emb.cos()[:, None, :], emb.sin()[:, None, :]
    mask = torch.full((T, T), float("-inf")).triu(1)
    for l in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % l
        h = rms_norm(x, w[p + "input_layernorm.weight"], eps)
        q = (h @ w[p + "self_attn.q_proj.weight"].T).view(T, nh, hd)
        k = (h @ w[p + "self_attn.k_proj.weight"].T).view(T, nkv, hd)
        v = (h @ w[p + "self_attn.v_proj.weight"].T).view(T, nkv, hd)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = nh // nkv
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        s = torch.einsum("thd,shd->hts", q, k) / math.sqrt(hd) + mask
        a = torch.einsum("hts,shd->thd", s.softmax(-1), v).reshape(T, nh * hd)
        x = x + a @ w[p + "self_attn.o_proj.weight"].T
        h = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        g = h @ w[p + "mlp.gate_proj.weight"].T
        u = h @ w[p + "mlp.up_proj.weight"].T
        x = x + (torch.nn.functional.silu(g) * u) @ w[p + "mlp.down_proj.weight"].T
    x = rms_norm(x, w["model.norm.weight"], eps)
    head = w["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings") else w["lm_head.weight"]
    return x @ head.T


def main():
    jobs = json.load(open(sys.argv[1]))
    results = []
    with torch.no_grad():
        for job in jobs:
            cfg = json.load(open(job["dir"] + "/config.json"))
            w = read_safetensors(job["dir"] + "/model.safetensors")
            logits = forward(cfg, w, job["ids"])
            results.append({"logits": logits.tolist(), "argmax": logits.argmax(-1).tolist()})
    json.dump(results, open(sys.argv[2], "w"))


if __name__ == "__main__":
    main()
