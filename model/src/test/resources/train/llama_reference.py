"""Reference LLaMA in PyTorch (autograd) for the Java trainer's tests and benchmark.

Reads a JSON case {config, params{name: flat list}, rows[{tokens, targets, loss_mask, segments,
positions}]} and writes {loss, grads{name: flat list}}. Attention is written out by hand (no SDPA):
scores, a mask from causal positions and segment ids, softmax. The loss is LWM's masked-packing
loss: mean over packed examples (segments) of each example's masked mean token loss.
Computed in float64 so that it is the ground truth for the Java float32 engine.
"""
import json
import sys

import torch

torch.set_default_dtype(torch.float64)


def rms(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rope(x, pos, theta):
    # x [S, heads, D], HF rotate-half pairing (i, i + D/2); inv_freq computed in float32 like HF
    d = x.shape[-1]
    inv = (1.0 / (theta ** (torch.arange(0, d, 2, dtype=torch.float32) / d))).to(torch.float64)
    ang = pos.to(torch.float64)[:, None] * inv[None, :]
    cos = torch.cat([ang.cos(), ang.cos()], -1)[:, None, :]
    sin = torch.cat([ang.sin(), ang.sin()], -1)[:, None, :]
    x1, x2 = x[..., : d // 2], x[..., d // 2:]
    rot = torch.cat([-x2, x1], -1)
    return x * cos + rot * sin


def forward_row(P, cfg, row):
    L, H, Hk, D = cfg["layers"], cfg["heads"], cfg["kv_heads"], cfg["head_dim"]
    eps, theta = cfg["eps"], cfg["theta"]
    ids = torch.tensor(row["tokens"])
    pos = torch.tensor(row["positions"])
    seg = torch.tensor(row["segments"])
    S = ids.shape[0]
    x = P["model.embed_tokens.weight"][ids]
    allowed = (pos[None, :] <= pos[:, None]) & (seg[None, :] == seg[:, None])
    for l in range(L):
        p = "model.layers.%d." % l
        h = rms(x, P[p + "input_layernorm.weight"], eps)
        q = (h @ P[p + "self_attn.q_proj.weight"].T).view(S, H, D)
        k = (h @ P[p + "self_attn.k_proj.weight"].T).view(S, Hk, D)
        v = (h @ P[p + "self_attn.v_proj.weight"].T).view(S, Hk, D)
        q, k = rope(q, pos, theta), rope(k, pos, theta)
        k = k.repeat_interleave(H // Hk, dim=1)
        v = v.repeat_interleave(H // Hk, dim=1)
        s = torch.einsum("ihd,jhd->hij", q, k) / (D ** 0.5)
        s = s.masked_fill(~allowed[None], float("-inf"))
        a = torch.softmax(s, -1)
        o = torch.einsum("hij,jhd->ihd", a, v).reshape(S, H * D)
        x = x + o @ P[p + "self_attn.o_proj.weight"].T
        h = rms(x, P[p + "post_attention_layernorm.weight"], eps)
        g = h @ P[p + "mlp.gate_proj.weight"].T
        u = h @ P[p + "mlp.up_proj.weight"].T
        x = x + (torch.nn.functional.silu(g) * u) @ P[p + "mlp.down_proj.weight"].T
    h = rms(x, P["model.norm.weight"], eps)
    head = P["model.embed_tokens.weight"] if cfg.get("tie", False) else P["lm_head.weight"]
    return h @ head.T


def example_losses(P, cfg, row):
    """[(sum of masked nll, sum of mask)] per segment of the row."""
    logits = forward_row(P, cfg, row)
    tg = torch.tensor(row["targets"])
    m = torch.tensor(row["loss_mask"])
    seg = row["segments"]
    logp = torch.log_softmax(logits, -1)
    nll = -logp[torch.arange(len(tg)), tg.clamp(min=0)]
    out = []
    for s in sorted(set(seg)):
        if s == 0:
            continue
        sel = torch.tensor([x == s for x in seg])
        ms = m * sel
        if ms.sum() > 0:
            out.append(((nll * ms).sum(), ms.sum()))
    return out


def batch_loss(P, cfg, rows):
    exs = [e for r in rows for e in example_losses(P, cfg, r)]
    return sum(n / d for n, d in exs) / len(exs)


def make_params(cfg, flat):
    P = {}
    for name, spec in flat.items():
        P[name] = torch.tensor(spec["data"]).view(spec["shape"]).requires_grad_(True)
    return P


def main():
    case = json.load(open(sys.argv[1]))
    cfg = case["config"]
    P = make_params(cfg, case["params"])
    loss = batch_loss(P, cfg, case["rows"])
    loss.backward()
    out = {"loss": loss.item(), "grads": {n: t.grad.reshape(-1).tolist() for n, t in P.items()}}
    json.dump(out, open(sys.argv[2], "w"))


if __name__ == "__main__":
    main()
