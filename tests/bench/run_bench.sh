#!/bin/sh
# Run every benchmark binary and print one table, with the machine line first.
# Usage: tests/bench/run_bench.sh BUILD_DIR bench_a bench_b ...
build=$1
shift
echo "machine: $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1), $(nproc) cores, $(uname -sr)"
if [ $# -eq 0 ]; then
    echo "no benchmarks are built yet"
fi
for b in "$@"; do
    "$build/bin/$b" || echo "$b failed (exit $?)"
done
