#!/usr/bin/env bash
# The same benchmark on this machine's PoCL (OpenCL on the CPU) against PyTorch on the CPU, at sizes a
# shared 2-core machine finishes in a minute or two: shows that the kernels are portable, not fast.
# Usage: bench/gpu/run-pocl.sh [OUTDIR] (default bench/gpu/results/pocl)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
OUT="${1:-bench/gpu/results/pocl}"; mkdir -p "$OUT"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}" PATH="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin:$PATH"
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
mvn -q -B -o -DskipTests -pl kernels -am package dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=runtime
ARGS=(--n 1024 --seq 1024 --heads 4 --head-dim 128 --reps 3)
{ clinfo -l; lscpu | grep -E 'Model name|^CPU\(s\)'; uptime; } > "$OUT/device.txt" 2>&1
java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx2g \
  -cp "$(ls kernels/target/lwm-kernels-*.jar):$(cat kernels/target/cp.txt)" \
  lwm.kernels.opencl.OpenClBench --device-match "Portable Computing Language" "${ARGS[@]}" 2>&1 | tee "$OUT/java.log"
/usr/bin/python3 bench/gpu/torch_peer.py "${ARGS[@]}" 2>&1 | tee "$OUT/torch.log"
/usr/bin/python3 bench/gpu/compare.py "$OUT/java.log" "$OUT/torch.log" | tee "$OUT/summary.md"
