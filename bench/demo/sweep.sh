#!/usr/bin/env bash
# Runs prototype configurations concurrently (device machine); logs under $OUT.
OUT=${OUT:-/tmp/sweep}; mkdir -p $OUT
P=$(dirname $0)/niah_proto.py
run() { tag=$1; shift; ${PY:-python3} $P --device ${DEV:-cuda} --tag $tag "$@" ${X:-} > $OUT/$tag.log 2>&1 & }
S=${S:-512:2500,2048:200,8192:40}
C="--fmt num --minlen 240 --compact 0.8 --lr 1e-3"
run A $C --lrlate 0.1 --stages $S
run B $C --lrlate 0.03 --stages $S
run C $C --lrlate 0.1 --thetas 10000,20000,40000 --stages $S
run D $C --lrlate 0.1 --thetas 10000,10000,10000 --stages $S
wait
grep -h -E 'RESULT|EVAL' $OUT/*.log
