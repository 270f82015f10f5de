#!/usr/bin/env bash
# Fourth sweep (device machine, one call): 2 heads of 32, and full-length examples in the extension stages
# (--longfrac), since sweep 3's models passed their training rows but failed full-length prompts. Logs under $OUT.
OUT=${OUT:-/tmp/sweep}; mkdir -p $OUT
P=$(dirname $0)/niah_proto.py
run() { tag=$1; shift; timeout ${LIMIT:-560} ${PY:-python3} $P --device ${DEV:-cuda} --tag $tag "$@" > $OUT/$tag.log 2>&1 & }
C="--fmt num --minlen 240 --compact 0.8 --lr 1e-3 --tokens 2048 --trials 6 --heads 2 --eval 512,1024,2048,4096,8192,12288"
S=512:3500,2048:600,8192:300
run L1 $C --stages $S --thetas 10000,10000,10000 --longfrac 0.5
run L2 $C --stages $S --longfrac 0.5
run L3 $C --stages $S --thetas 10000,20000,40000 --longfrac 0.5
run L4 $C --stages 512:3000,2048:500,8192:400 --thetas 10000,10000,10000 --longfrac 0.5
run L5 $C --stages $S --thetas 10000,10000,10000 --longfrac 0.7
run L6 $C --stages $S --thetas 10000,10000,10000 --longfrac 0.5 --seed 1
run L7 $C --stages $S --thetas 10000,20000,40000 --longfrac 0.5 --seed 1
run L8 $C --stages $S --thetas 10000,10000,10000 --longfrac 0.5 --lrlate 1.0
wait
grep -h -E 'RESULT|EVAL' $OUT/*.log
