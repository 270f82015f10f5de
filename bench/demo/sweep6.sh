#!/usr/bin/env bash
# Sixth sweep (device machine, one call): how often the chosen recipe (2 heads of 32, theta 1e5 -> 2e5 -> 4e5,
# full-length examples in half the extension rows) learns, over seeds; and whether lr 1.5e-3 makes stage 1
# learn more reliably. Logs under $OUT.
OUT=${OUT:-/tmp/sweep}; mkdir -p $OUT
P=$(dirname $0)/niah_proto.py
run() { tag=$1; shift; timeout ${LIMIT:-560} ${PY:-python3} $P --device ${DEV:-cuda} --tag $tag "$@" > $OUT/$tag.log 2>&1 & }
C="--fmt num --minlen 240 --tokens 2048 --trials 6 --heads 2 --eval 512,1024,2048,4096,8192,12288 --stages 512:3500,2048:600,8192:300 --compact 0.8 --thetas 100000,200000,400000 --longfrac 0.5"
for s in 1 2 3 4 5; do run S$s $C --lr 1e-3 --seed $s; done
for s in 2 3 4 5; do run F$s $C --lr 1.5e-3 --lrlate 0.33 --seed $s; done
wait
grep -h -E 'RESULT' $OUT/*.log
