#!/usr/bin/env bash
# Builds what the device machine needs into the git-ignored folder .carry/gpu (name it in the device
# tool's `carry`): a jlinked Temurin 25 runtime (.carry/gpu/jre.tgz), the jars of the kernels module with
# its runtime dependencies (.carry/gpu/lib) and these scripts. The device machine has no Java and no network.
# The device tool sends the checkout its session started in, which may not be this worktree: pass that
# checkout's root as $1 (default: this repository) so the folder lands where the tool looks, and optionally a
# folder name as $2 (default gpu: .carry/$2) so that bundles of several worktrees can sit side by side.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}" PATH="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin:$PATH"
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
NAME="${2:-gpu}"
DEST="${1:-$ROOT}/.carry/$NAME"
(cd "${1:-$ROOT}" && git check-ignore -q ".carry/$NAME") || { echo "prepare.sh: .carry/ is not git-ignored in ${1:-$ROOT}" >&2; exit 2; }
mvn -q -B -DskipTests -pl kernels -am package dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=runtime
rm -rf "$DEST" && mkdir -p "$DEST/lib"
cp kernels/target/lwm-kernels-*.jar "$DEST/lib/"
tr ':' '\n' < kernels/target/cp.txt | grep -v -E 'junit|opentest4j|apiguardian' | xargs -I{} cp {} "$DEST/lib/"
cp bench/gpu/*.py bench/gpu/run-device.sh "$DEST/"
TMP=$(mktemp -d)
jlink --add-modules java.base,jdk.incubator.vector,jdk.unsupported,java.logging,java.management,java.xml \
  --strip-debug --no-header-files --no-man-pages --compress=zip-9 --output "$TMP/jre25"
tar czf "$DEST/jre.tgz" -C "$TMP" jre25
rm -rf "$TMP"
du -sh "$DEST/jre.tgz" "$DEST/lib"
