#!/usr/bin/env bash
# The prototype sweeps of bench/demo/README.md, one device-tool call each: bash sweeps.sh NAME (1..12).
# Runs every configuration of the sweep at once on the GPU, each capped at $LIMIT seconds; logs under $OUT,
# one summary line per run at the end (training answer accuracy every 10th log line, EVAL/ZS/RESULT lines).
OUT=${OUT:-/tmp/sweep}; mkdir -p $OUT
P=$(dirname $0)/niah_proto.py
run() { tag=$1; shift; timeout ${LIMIT:-560} ${PY:-python3} $P --device ${DEV:-cuda} --tag $tag "$@" > $OUT/$tag.log 2>&1 & }
B="--fmt num --minlen 240"
J="$B --tokens 2048"                       # the Java demo's budget: 2048 tokens per step
BASE=512:5000,2048:300,8192:60; MORE=512:4000,2048:800,8192:150; S=512:3500,2048:600,8192:300
EV="--eval 512,1024,2048,4096,8192,12288"
case "${1:?usage: sweeps.sh 1..12}" in
1)  # first session: extension learning rate and theta schedule (4 heads of 16, 4096 tokens/step)
    C="$B --compact 0.8 --lr 1e-3 --stages ${STAGES:-512:2500,2048:200,8192:40}"
    run A $C --lrlate 0.1; run B $C --lrlate 0.03
    run C $C --lrlate 0.1 --thetas 10000,20000,40000; run D $C --lrlate 0.1 --thetas 10000,10000,10000 ;;
2)  # theta schedules and step splits at the Java budget (found the empty-row NaN)
    C="$J --compact 0.8 --lr 1e-3 --trials 4"
    run base $C --stages $BASE; run const $C --stages $BASE --thetas 10000,10000,10000
    run gentle $C --stages $BASE --thetas 10000,20000,40000; run more $C --stages $MORE
    run moreC $C --stages $MORE --thetas 10000,10000,10000; run moreCl $C --stages $MORE --thetas 10000,10000,10000 --lrlate 1.0
    run h2C $C --stages $MORE --thetas 10000,10000,10000 --heads 2; run long8 $C --stages $S --thetas 10000,10000,10000 ;;
3)  # two heads of 32
    C="$J --compact 0.8 --lr 1e-3 --trials 4 --heads 2"
    run h2base $C --stages $BASE; run h2baseC $C --stages $BASE --thetas 10000,10000,10000
    run h2more $C --stages $MORE; run h2moreC $C --stages $MORE --thetas 10000,10000,10000
    run h2moreG $C --stages $MORE --thetas 10000,20000,40000; run h2long8C $C --stages $S --thetas 10000,10000,10000
    run h2moreCl $C --stages $MORE --thetas 10000,10000,10000 --lrlate 1.0; run h1moreC $C --stages $MORE --thetas 10000,10000,10000 --heads 1 ;;
4)  # full-length examples in the extension stages
    C="$J --compact 0.8 --lr 1e-3 --trials 6 --heads 2 $EV --stages $S"
    run L1 $C --thetas 10000,10000,10000 --longfrac 0.5; run L2 $C --longfrac 0.5
    run L3 $C --thetas 10000,20000,40000 --longfrac 0.5
    run L4 $C --stages 512:3000,2048:500,8192:400 --thetas 10000,10000,10000 --longfrac 0.5
    run L5 $C --thetas 10000,10000,10000 --longfrac 0.7; run L6 $C --thetas 10000,10000,10000 --longfrac 0.5 --seed 1
    run L7 $C --thetas 10000,20000,40000 --longfrac 0.5 --seed 1; run L8 $C --thetas 10000,10000,10000 --longfrac 0.5 --lrlate 1.0 ;;
5)  # a large RoPE base from the first stage
    C="$J --compact 0.8 --lr 1e-3 --trials 6 --heads 2 $EV --stages $S"; G=100000,200000,400000
    run T1 $C --thetas $G; run T2 $C --thetas $G --seed 1; run T10 $C --thetas $G --seed 2
    run T3 $C --thetas 160000,160000,160000; run T4 $C --thetas 160000,160000,160000 --seed 1
    run T5 $C --thetas 1000000,1000000,1000000; run T6 $C --seed 1; run T7 $C --thetas $G --longfrac 0.5
    run T8 $C --thetas $G --heads 4; run T9 ${C/--compact 0.8/--compact 0.5} --thetas $G ;;
6)  # the recipe over seeds, lr 1e-3 and 1.5e-3
    C="$J --trials 6 --heads 2 $EV --stages $S --compact 0.8 --thetas 100000,200000,400000 --longfrac 0.5"
    for s in 1 2 3 4 5; do run S$s $C --lr 1e-3 --seed $s; done
    for s in 2 3 4 5; do run F$s $C --lr 1.5e-3 --lrlate 0.33 --seed $s; done ;;
7)  # stage 1 alone on the seeds that failed: third layer, lr 5e-4, d=96
    C="$J --trials 8 --eval 512 --stages 512:3500 --compact 0.8 --thetas 100000"
    for s in 2 3 4 5; do
      run L3s$s $C --heads 2 --layers 3 --lr 1e-3 --seed $s; run LRs$s $C --heads 2 --lr 5e-4 --seed $s
      run W96s$s $C --heads 3 --d 96 --lr 1e-3 --seed $s
    done ;;
8)  # PoSE in stage 1, zero-shot accuracy at 2K/8K
    C="$J --heads 2 --lr 5e-4 --compact 0.8 --stages 512:3000,2048:1 --thetas 100000,200000 --eval 512 --trials 1 --zeroshot"
    for s in 1 2; do run N$s $C --seed $s; run P8s$s $C --seed $s --pose 8192; run P2s$s $C --seed $s --pose 2048; done ;;
9)  # several needles per extension example, each asked in turn (k answers per long row), a third layer
    C="$J --heads 2 --lr 5e-4 --compact 0.8 --compacthalf --thetas 100000,200000,400000 --longfrac 0.5 --trials 6 $EV --stages 512:3000,2048:1000,8192:500"
    for s in 1 2; do run B$s $C --seed $s; run Q3s$s $C --seed $s --qa 3; run Q3As$s $C --seed $s --qa 3 --qastage 0; done
    run Q5s1 $C --seed 1 --qa 5; run L3s1 $C --seed 1 --layers 3; run Q3L3s1 $C --seed 1 --qa 3 --layers 3
    run Q3F1s1 ${C/--longfrac 0.5/--longfrac 1.0} --seed 1 --qa 3 ;;
10) # the plan the pruned last layer affords (3000/1500/850 steps), and 4000 stage-1 steps, over six seeds
    C="$J --heads 2 --lr 5e-4 --compact 0.8 --compacthalf --thetas 100000,200000,400000 --longfrac 0.5 --trials 6 $EV"
    for s in 1 2 3 4 5 6; do run P$s $C --seed $s --stages 512:3000,2048:1500,8192:850; run P4k$s $C --seed $s --stages 512:4000,2048:1500,8192:850; done ;;
11) # stage 1 alone, 4500 steps, four seeds each: what makes the retrieval circuit form early and reliably
    C="$J --heads 2 --compact 0.8 --thetas 100000 --trials 8 --eval 512 --stages 512:4500"
    for s in 1 2 3 4; do
      run A$s $C --seed $s --lr 5e-4 --compacthalf; run B$s $C --seed $s --lr 5e-4; run C$s $C --seed $s --lr 7e-4 --compacthalf
      run D$s $C --seed $s --lr 5e-4 --compacthalf --copyfrac 0.2 --digitcopy
    done ;;
12) # the Java demo's lr floor (cosine to 10% of the peak) against decay to 0, on seeds that formed the circuit; 700 8K steps; lr 7e-4
    C="$J --heads 2 --lr 5e-4 --compact 0.8 --compacthalf --thetas 100000,200000,400000 --longfrac 0.5 --trials 6 $EV"
    for s in 2 4 6; do run F$s $C --seed $s --stages 512:4000,2048:1500,8192:850 --lrfloor 0.1; run S$s $C --seed $s --stages 512:4000,2048:1500,8192:700; done
    for s in 1 3 5; do run H$s ${C/--lr 5e-4/--lr 7e-4 --lrlate 0.36} --seed $s --stages 512:4000,2048:1500,8192:700; done
    for s in 7 8 9; do run S$s $C --seed $s --stages 512:4000,2048:1500,8192:700; done ;;
*)  echo "sweeps.sh: no sweep '$1' (1..12)" >&2; exit 2 ;;
esac
wait
for f in $OUT/*.log; do
  echo "$(basename $f .log) $(grep -E '^stage 0' $f | awk 'NR%10==0 {printf "%s ", $12}')"
  grep -h -E 'EVAL|ZS|RESULT' $f
done | tee $OUT/summary.txt
