"""PyTorch peer of OpenClBench: the same shapes in f32 on the GPU (cuBLAS with TF32 off, SDPA f32), one
JSON line per result. FLOP counts as in OpenClBench: matmul 2n^3, attention fwd 4*S^2*D*H (half when
causal), fwd+bwd 3.5x fwd. Median of reps after a warm-up, timed with CUDA events."""
import argparse, json, statistics, sys
import torch
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("--n", type=int, default=8192)
p.add_argument("--seq", type=int, default=8192)
p.add_argument("--heads", type=int, default=32)
p.add_argument("--head-dim", type=int, default=128)
p.add_argument("--reps", type=int, default=5)
a = p.parse_args()

dev = "cuda" if torch.cuda.is_available() else "cpu"
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
print(f"torch {torch.__version__} on {torch.cuda.get_device_name(0) if dev == 'cuda' else 'cpu'}", file=sys.stderr)


def timed(fn, reps):
    fn()
    if dev == "cuda":
        torch.cuda.synchronize()
    ts = []
    for _ in range(reps):
        if dev == "cuda":
            s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            s.record(); fn(); e.record(); torch.cuda.synchronize()
            ts.append(s.elapsed_time(e) / 1e3)
        else:
            import time
            t = time.perf_counter(); fn(); ts.append(time.perf_counter() - t)
    return statistics.median(ts)


g = torch.Generator(device=dev).manual_seed(0)
n = a.n
x = torch.rand(n, n, device=dev, generator=g) * 2 - 1
y = torch.rand(n, n, device=dev, generator=g) * 2 - 1
s = timed(lambda: torch.matmul(x, y), a.reps)
print(json.dumps({"op": "matmul_f32", "n": n, "ms": s * 1e3, "tflops": 2 * n ** 3 / s / 1e12, "peer": "cublas f32 (tf32 off)"}))
del x, y

S, H, D = a.seq, a.heads, a.head_dim
sdpa = getattr(F, "scaled_dot_product_attention", None)


def attn(q, k, v, causal):
    if sdpa is not None:
        return sdpa(q, k, v, is_causal=causal)
    sc = q @ k.transpose(-1, -2) / D ** 0.5  # torch < 2.0 has no SDPA: plain attention
    if causal:
        sc = sc.masked_fill(torch.ones(S, S, dtype=torch.bool, device=dev).triu(1), float("-inf"))
    return torch.softmax(sc, -1) @ v


for causal in (True, False):
    q, k, v = [(torch.rand(1, H, S, D, device=dev, generator=g) * 2 - 1).requires_grad_() for _ in range(3)]
    flops = 4 * S * S * D * H * (0.5 if causal else 1)
    m = "causal" if causal else "full"
    with torch.no_grad():
        f = timed(lambda: attn(q, k, v, causal), a.reps)
    do = torch.rand_like(q)

    def fb():
        o = attn(q, k, v, causal)
        o.backward(do)
    b = timed(fb, max(1, a.reps // 2))
    peer = "sdpa f32" if sdpa is not None else "plain f32 attention (no sdpa)"
    print(json.dumps({"op": f"attention_fwd_{m}", "seq": S, "heads": H, "head_dim": D, "ms": f * 1e3, "tflops": flops / f / 1e12, "peer": peer}))
    print(json.dumps({"op": f"attention_fwdbwd_{m}", "seq": S, "heads": H, "head_dim": D, "ms": b * 1e3, "tflops": 3.5 * flops / b / 1e12, "peer": peer}))
    del q, k, v, do
