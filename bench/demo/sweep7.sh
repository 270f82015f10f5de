#!/usr/bin/env bash
# Seventh sweep (device machine, one call): stage 1 alone (512 tokens, 3500 steps) on the seeds where sweep 6's
# recipe never learned (2-5): does a third layer, a lower lr or a wider model make the retrieval circuit form
# reliably? Logs under $OUT.
OUT=${OUT:-/tmp/sweep}; mkdir -p $OUT
P=$(dirname $0)/niah_proto.py
run() { tag=$1; shift; timeout ${LIMIT:-560} ${PY:-python3} $P --device ${DEV:-cuda} --tag $tag "$@" > $OUT/$tag.log 2>&1 & }
C="--fmt num --minlen 240 --tokens 2048 --trials 8 --eval 512 --stages 512:3500 --compact 0.8 --thetas 100000"
for s in 2 3 4 5; do
  run L3s$s $C --heads 2 --layers 3 --lr 1e-3 --seed $s
  run LRs$s $C --heads 2 --lr 5e-4 --seed $s
  run W96s$s $C --heads 3 --d 96 --lr 1e-3 --seed $s
done
wait
for f in $OUT/*.log; do echo "$(basename $f) $(grep -E '^stage 0' $f | awk 'NR%10==0 {printf "%s ", $12}') $(grep RESULT $f)"; done > $OUT/summary.txt
rm -f $OUT/*.log; cat $OUT/summary.txt
