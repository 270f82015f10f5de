#!/usr/bin/env bash
# Fifth sweep (device machine, one call): a large RoPE base from the first stage (raised gently per stage), so
# that the low-frequency pairs stay position-free over 8K and no stage has to relearn its positions; seeds
# replicated, since sweep 4 showed seed-to-seed swings of 0.5. Logs under $OUT.
OUT=${OUT:-/tmp/sweep}; mkdir -p $OUT
P=$(dirname $0)/niah_proto.py
run() { tag=$1; shift; timeout ${LIMIT:-560} ${PY:-python3} $P --device ${DEV:-cuda} --tag $tag "$@" > $OUT/$tag.log 2>&1 & }
C="--fmt num --minlen 240 --lr 1e-3 --tokens 2048 --trials 6 --heads 2 --eval 512,1024,2048,4096,8192,12288 --stages 512:3500,2048:600,8192:300"
run T1  $C --compact 0.8 --thetas 100000,200000,400000
run T2  $C --compact 0.8 --thetas 100000,200000,400000 --seed 1
run T10 $C --compact 0.8 --thetas 100000,200000,400000 --seed 2
run T3  $C --compact 0.8 --thetas 160000,160000,160000
run T4  $C --compact 0.8 --thetas 160000,160000,160000 --seed 1
run T5  $C --compact 0.8 --thetas 1000000,1000000,1000000
run T6  $C --compact 0.8 --seed 1
run T7  $C --compact 0.8 --thetas 100000,200000,400000 --longfrac 0.5
run T8  $C --compact 0.8 --thetas 100000,200000,400000 --heads 4
run T9  $C --compact 0.5 --thetas 100000,200000,400000
wait
grep -h -E 'RESULT|EVAL' $OUT/*.log
