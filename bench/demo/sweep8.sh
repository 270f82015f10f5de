#!/usr/bin/env bash
# Eighth sweep (device machine, one short call): does PoSE in stage 1 (positions of a 512-token example skip
# ahead at one random point, showing distances up to N) let the 512-trained model answer at 2K/8K before any
# extension stage? Zero-shot accuracy after stage 1 at the stage-1 and stage-2 RoPE bases. Logs under $OUT.
OUT=${OUT:-/tmp/sweep}; mkdir -p $OUT
P=$(dirname $0)/niah_proto.py
run() { tag=$1; shift; timeout ${LIMIT:-560} ${PY:-python3} $P --device ${DEV:-cuda} --tag $tag "$@" > $OUT/$tag.log 2>&1 & }
C="--fmt num --minlen 240 --tokens 2048 --heads 2 --lr 5e-4 --compact 0.8 --stages 512:3000,2048:1 --thetas 100000,200000 --eval 512 --trials 1 --zeroshot"
for s in 1 2; do
  run N$s $C --seed $s
  run P8s$s $C --seed $s --pose 8192
  run P2s$s $C --seed $s --pose 2048
done
wait
for f in $OUT/*.log; do echo "$(basename $f) $(grep -E '^stage 0' $f | awk 'NR%10==0 {printf "%s ", $12}')"; grep -E "ZS|EVAL" $f; done > $OUT/summary.txt
rm -f $OUT/*.log; cat $OUT/summary.txt
