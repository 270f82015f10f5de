"""PyTorch CPU peer of `./lwm bench train`: the same LLaMA shape and the same training step
(packed row with segment mask, manual attention as LWM's reference code writes it, SwiGLU, lm_head +
cross-entropy, global-norm clipping, AdamW) timed on this machine in the same run.
Prints one JSON line: {"tokens_per_s": ..., "step_s": [...], "loss": ..., "threads": ...}.
"""
import json
import math
import sys
import time

import torch
import torch.nn.functional as F

cfg = json.loads(sys.argv[1])
torch.manual_seed(0)
torch.set_num_threads(cfg["threads"])
V, d, I, L, H, S = cfg["vocab"], cfg["hidden"], cfg["inter"], cfg["layers"], cfg["heads"], cfg["seq"]
D = d // H


def lin(o, i):
    return (torch.randn(o, i) * 0.02).requires_grad_(True)


P = {"embed": lin(V, d), "norm": torch.ones(d, requires_grad=True), "head": lin(V, d)}
for l in range(L):
    P.update({f"{l}.n1": torch.ones(d, requires_grad=True), f"{l}.q": lin(d, d), f"{l}.k": lin(d, d), f"{l}.v": lin(d, d),
              f"{l}.o": lin(d, d), f"{l}.n2": torch.ones(d, requires_grad=True), f"{l}.g": lin(I, d), f"{l}.u": lin(I, d),
              f"{l}.dn": lin(d, I)})
opt = torch.optim.AdamW(P.values(), lr=1e-4, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1)

g = torch.Generator().manual_seed(1)
tokens = torch.randint(3, V, (S,), generator=g)
# documents of 512 tokens packed in the row
seg = torch.arange(S) // 512
pos = torch.arange(S)
targets = torch.roll(tokens, -1)
valid = (torch.roll(seg, -1) == seg)
valid[-1] = False
mask = (pos[None, :] <= pos[:, None]) & (seg[None, :] == seg[:, None])
inv = 1.0 / (cfg["theta"] ** (torch.arange(0, D, 2).float() / D))
ang = pos.float()[:, None] * inv[None, :]
cos = torch.cat([ang.cos(), ang.cos()], -1)[:, None, :]
sin = torch.cat([ang.sin(), ang.sin()], -1)[:, None, :]


def rms(x, w):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * w


def rope(x):
    x1, x2 = x[..., : D // 2], x[..., D // 2:]
    return x * cos + torch.cat([-x2, x1], -1) * sin


def loss_fn():
    x = P["embed"][tokens]
    for l in range(L):
        h = rms(x, P[f"{l}.n1"])
        q = rope((h @ P[f"{l}.q"].T).view(S, H, D))
        k = rope((h @ P[f"{l}.k"].T).view(S, H, D))
        v = (h @ P[f"{l}.v"].T).view(S, H, D)
        s = torch.einsum("ihd,jhd->hij", q, k) / math.sqrt(D)
        a = torch.softmax(s.masked_fill(~mask[None], float("-inf")), -1)
        x = x + torch.einsum("hij,jhd->ihd", a, v).reshape(S, d) @ P[f"{l}.o"].T
        h = rms(x, P[f"{l}.n2"])
        x = x + (F.silu(h @ P[f"{l}.g"].T) * (h @ P[f"{l}.u"].T)) @ P[f"{l}.dn"].T
    logits = rms(x, P["norm"]) @ P["head"].T
    nll = F.cross_entropy(logits, targets, reduction="none")
    w = valid.float()
    per_doc = torch.zeros(int(seg.max()) + 1).index_add_(0, seg, nll * w) / torch.zeros(int(seg.max()) + 1).index_add_(0, seg, w)
    return per_doc.mean()


times, loss = [], None
for step in range(cfg["warmup"] + cfg["steps"]):
    t0 = time.perf_counter()
    opt.zero_grad()
    loss = loss_fn()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(P.values(), 1.0)
    opt.step()
    if step >= cfg["warmup"]:
        times.append(time.perf_counter() - t0)


def blas():
    """The BLAS library this process really loaded (Debian's torch links the system libblas.so.3)."""
    try:
        libs = {l.split()[-1] for l in open("/proc/self/maps") if "blas" in l.lower()}
        return ", ".join(sorted(libs)) or "none found"
    except OSError:
        return "unknown"


print(json.dumps({"tokens_per_s": S * len(times) / sum(times), "step_s": times, "loss": loss.item(),
                  "threads": torch.get_num_threads(), "blas": blas()}))
