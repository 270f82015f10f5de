#!/usr/bin/env bash
# Runs prototype configurations concurrently (device machine); logs under $OUT.
OUT=${OUT:-/tmp/sweep}; mkdir -p $OUT
P=$(dirname $0)/niah_proto.py
run() { tag=$1; shift; ${PY:-python3} $P --device ${DEV:-cuda} --tag $tag "$@" ${X:-} > $OUT/$tag.log 2>&1 & }
S=${S:-512:2000,2048:150,8192:30}
C="--fmt num --minlen 240 --rep --lmw 1.0"
run A $C --stages $S
run B $C --stages 512:4000,2048:300,8192:40
run C $C --d 128 --heads 8 --stages $S
run D $C --layers 3 --stages $S
run E $C --d 128 --heads 4 --layers 3 --stages $S
run F $C --lr 1e-3 --stages $S
run G --fmt echo --minlen 300 --rep --lmw 1.0 --stages $S
run H $C --heads 2 --stages $S
run I $C --d 96 --heads 6 --layers 4 --stages $S
run J $C --tokens 8192 --stages $S
wait
grep -h -E 'RESULT|EVAL' $OUT/*.log
