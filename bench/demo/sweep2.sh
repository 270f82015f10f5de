#!/usr/bin/env bash
# Second sweep (device machine, one call): how to keep retrieval through context extension at the Java demo's
# budget (2048 tokens/step, ~11M tokens). Logs under $OUT; each run prints EVAL after every stage.
OUT=${OUT:-/tmp/sweep}; mkdir -p $OUT
P=$(dirname $0)/niah_proto.py
run() { tag=$1; shift; timeout ${LIMIT:-560} ${PY:-python3} $P --device ${DEV:-cuda} --tag $tag "$@" > $OUT/$tag.log 2>&1 & }
C="--fmt num --minlen 240 --compact 0.8 --lr 1e-3 --tokens 2048 --trials 4"
BASE=512:5000,2048:300,8192:60
MORE=512:4000,2048:800,8192:150
run base   $C --stages $BASE
run const  $C --stages $BASE --thetas 10000,10000,10000
run gentle $C --stages $BASE --thetas 10000,20000,40000
run more   $C --stages $MORE
run moreC  $C --stages $MORE --thetas 10000,10000,10000
run moreCl $C --stages $MORE --thetas 10000,10000,10000 --lrlate 1.0
run h2C    $C --stages $MORE --thetas 10000,10000,10000 --heads 2
run long8  $C --stages 512:3500,2048:600,8192:300 --thetas 10000,10000,10000
wait
grep -h -E 'RESULT|EVAL' $OUT/*.log
