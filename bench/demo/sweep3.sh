#!/usr/bin/env bash
# Third sweep (device machine, one call): 2 heads of 32 learned retrieval twice as fast as 4 of 16 in sweep 2;
# which extension schedule keeps it. Logs under $OUT.
OUT=${OUT:-/tmp/sweep}; mkdir -p $OUT
P=$(dirname $0)/niah_proto.py
run() { tag=$1; shift; timeout ${LIMIT:-560} ${PY:-python3} $P --device ${DEV:-cuda} --tag $tag "$@" > $OUT/$tag.log 2>&1 & }
C="--fmt num --minlen 240 --compact 0.8 --lr 1e-3 --tokens 2048 --trials 4 --heads 2"
BASE=512:5000,2048:300,8192:60
MORE=512:4000,2048:800,8192:150
run h2base   $C --stages $BASE
run h2baseC  $C --stages $BASE --thetas 10000,10000,10000
run h2more   $C --stages $MORE
run h2moreC  $C --stages $MORE --thetas 10000,10000,10000
run h2moreG  $C --stages $MORE --thetas 10000,20000,40000
run h2long8C $C --stages 512:3500,2048:600,8192:300 --thetas 10000,10000,10000
run h2moreCl $C --stages $MORE --thetas 10000,10000,10000 --lrlate 1.0
run h1moreC  $C --stages $MORE --thetas 10000,10000,10000 --heads 1
wait
grep -h -E 'RESULT|EVAL' $OUT/*.log
