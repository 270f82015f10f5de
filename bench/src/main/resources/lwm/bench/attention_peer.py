# Peers of `./lwm bench attention`: manual attention softmax(Q K^T * scale + mask) V over [heads, seq, dim]
# in float32, with PyTorch (torch.matmul + softmax; torch 1.13 has no scaled_dot_product_attention) or numpy.
import json, sys, time
impl, seq, heads, dim, causal, reps, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "1", int(sys.argv[6]), int(sys.argv[7])
scale = dim ** -0.5
if impl == "torch":
    try:
        import torch
    except ImportError as e:
        print(json.dumps({"error": "torch missing: %s" % e})); sys.exit(3)
    torch.set_num_threads(threads)
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.rand(heads, seq, dim, generator=g) for _ in range(3))
    mask = torch.triu(torch.full((seq, seq), float("-inf")), diagonal=1) if causal else None
    def run():
        with torch.no_grad():
            s = torch.matmul(q, k.transpose(-1, -2)) * scale
            if mask is not None:
                s = s + mask
            return torch.matmul(torch.softmax(s, dim=-1), v)
    version = "torch " + torch.__version__
else:
    import numpy as np
    rng = np.random.default_rng(0)
    q, k, v = (rng.random((heads, seq, dim), dtype=np.float32) for _ in range(3))
    mask = np.triu(np.full((seq, seq), -np.inf, dtype=np.float32), 1) if causal else None
    def run():
        s = (q @ k.transpose(0, 2, 1)) * np.float32(scale)
        if mask is not None:
            s = s + mask
        s = np.exp(s - s.max(axis=-1, keepdims=True))
        s /= s.sum(axis=-1, keepdims=True)
        return s @ v
    version = "numpy " + np.__version__
run(); run()
times = []
for _ in range(reps):
    t = time.perf_counter(); run(); times.append(time.perf_counter() - t)
times.sort()
print(json.dumps({"best_s": times[0], "median_s": times[len(times) // 2], "impl": version}))
