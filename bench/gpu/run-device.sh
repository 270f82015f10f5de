#!/usr/bin/env bash
# One device-tool call: registers NVIDIA's OpenCL, unpacks the carried runtime, runs OpenClBench on the
# NVIDIA GPU (selected by name: PoCL is registered too) and the PyTorch peer, and writes logs to $OUT.
# Usage (device tool, after prepare.sh): bash .carry/gpu/run-device.sh [--n 8192 ...]   with carry [".carry/gpu"]
set -uo pipefail
OUT="${OUT:-/tmp/out}"; mkdir -p "$OUT"
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"   # the carried folder (.carry/gpu, or another name given to prepare.sh)
echo /usr/local/nvidia/lib64/libnvidia-opencl.so.1 > /etc/OpenCL/vendors/nvidia.icd
{ nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv; clinfo -l; } 2>&1 | tee "$OUT/device.txt"
tar xzf "$DIR/jre.tgz" -C /tmp
/tmp/jre25/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx24g -cp "$DIR/lib/*" \
  lwm.kernels.opencl.OpenClBench --device-match NVIDIA --dump "$OUT/ptx" "$@" 2>&1 | tee "$OUT/java.log"
[ -d "$OUT/ptx" ] && tar czf "$OUT/ptx.tgz" -C "$OUT" ptx && rm -rf "$OUT/ptx"   # the tool returns at most 8 files
PYTHONUNBUFFERED=1 python3 "$DIR/torch_peer.py" "$@" 2>&1 | tee "$OUT/torch.log"
python3 "$DIR/compare.py" "$OUT/java.log" "$OUT/torch.log" --targets | tee "$OUT/summary.md"
