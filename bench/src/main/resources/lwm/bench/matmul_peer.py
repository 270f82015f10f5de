# numpy peer of `./lwm bench matmul`: C = A @ B in float32, best and median of reps, as JSON on the last line.
import json, sys, time
try:
    import numpy as np
except ImportError as e:
    print(json.dumps({"error": "numpy missing: %s" % e})); sys.exit(3)
m, n, k, reps = (int(x) for x in sys.argv[1:5])
rng = np.random.default_rng(0)
a = rng.random((m, k), dtype=np.float32); b = rng.random((k, n), dtype=np.float32)
c = a @ b; c = a @ b  # warm-up: thread pool start, page faults
times = []
for _ in range(reps):
    t = time.perf_counter(); c = a @ b; times.append(time.perf_counter() - t)
times.sort()
blas = "unknown"
try:
    cfg = np.show_config(mode="dicts")
    d = cfg["Build Dependencies"]["blas"]
    blas = "%s %s" % (d.get("name", "?"), d.get("version", ""))
except Exception:
    pass
print(json.dumps({"best_s": times[0], "median_s": times[len(times) // 2], "numpy": np.__version__, "blas": blas.strip()}))
