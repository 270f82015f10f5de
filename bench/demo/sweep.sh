#!/usr/bin/env bash
# Runs prototype configurations concurrently (device machine); logs under $OUT.
OUT=${OUT:-/tmp/sweep}; mkdir -p $OUT
P=$(dirname $0)/niah_proto.py
run() { tag=$1; shift; ${PY:-python3} $P --device ${DEV:-cuda} --tag $tag "$@" ${X:-} > $OUT/$tag.log 2>&1 & }
S=${S:-512:1500,2048:150,8192:30}
run A --fmt num --minlen 240 --compact 0.5 --stages $S
run B --fmt num --minlen 240 --compact 0.8 --stages $S
run C --fmt num --minlen 240 --compact 0.8 --lr 1e-3 --stages $S
run D --fmt num --minlen 240 --compact 0.8 --layers 3 --stages $S
run E --fmt num --minlen 240 --compact 0.8 --d 128 --heads 8 --stages $S
run F --fmt echo --minlen 300 --compact 0.8 --stages $S
run G --fmt num --minlen 240 --compact 0.8 --stages 512:3000,2048:150,8192:30
run H --fmt num --minlen 240 --compact 0.8 --heads 2 --stages $S
wait
grep -h -E 'RESULT|EVAL' $OUT/*.log
