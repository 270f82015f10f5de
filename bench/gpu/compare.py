"""Pairs OpenClBench's and torch_peer.py's JSON lines by op and prints a Markdown table with ratios
(Java OpenCL TFLOP/s / PyTorch TFLOP/s). With --targets (GPU runs) it also marks the GPU issue's targets.
Usage: compare.py JAVA_LOG TORCH_LOG [--targets]"""
import json, re, sys

TARGETS = {"matmul_f32": 0.6, "attention_fwd_causal": 0.5, "attention_fwd_full": 0.5}
# a layout tag (OpenClBench marks every non-default layout) names the same op of the peer
LAYOUT = re.compile(r"_(wide|strided|vector_db|vector)$")


def load(path):
    out = {}
    for line in open(path):
        line = line.strip()
        if line.startswith("{"):
            d = json.loads(line)
            out[d["op"]] = d
    return out


java, torch = load(sys.argv[1]), load(sys.argv[2])
if "--targets" not in sys.argv[3:]:
    TARGETS = {}
print("| op | shape | Java OpenCL TFLOP/s | PyTorch TFLOP/s | ratio | target |")
print("|---|---|---|---|---|---|")
summary = {}
for op, j in java.items():
    t = torch.get(LAYOUT.sub("", op))
    shape = f"{j['n']}^3" if "n" in j else f"S={j['seq']} H={j['heads']} D={j['head_dim']}"
    ratio = j["tflops"] / t["tflops"] if t else None
    summary[op] = ratio
    tgt = TARGETS.get(LAYOUT.sub("", op))
    mark = "" if tgt is None or ratio is None else (" (met)" if ratio >= tgt else " (missed)")
    print(f"| {op} | {shape} | {j['tflops']:.3g} | {t['tflops']:.3g} |" if t else f"| {op} | {shape} | {j['tflops']:.3g} | - |", end="")
    print(f" {ratio:.2f}x | {'>= %.1fx%s' % (tgt, mark) if tgt else '-'} |" if ratio is not None else " - | - |")
print(json.dumps({"workload": "opencl-vs-pytorch", "ratios": summary}))
