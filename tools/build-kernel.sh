#!/usr/bin/env bash
# Build the KUnit kernel of build/linux for one arch, out of tree in
# build/out/$ARCH, through kunit.py (which merges the kconfig fragments and
# checks that each option took).  ccache is used with its base dir set to
# build/, so that a fresh clone in another directory still hits the cache.
#
#   build-kernel.sh ARCH [test|bench]
#
# test (the default) is the kernel every scenario boots, with the
# sanitizers of configs/kunit-sanitizers.config; bench is the same kernel
# without them, in build/out/ARCH-bench, for make bench.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

arch=${1:-}
flavour=${2:-test}
cross=$(cross_compile "$arch")
case $flavour in
test) dir=$arch extra=--kunitconfig=$TOP/configs/kunit-sanitizers.config ;;
bench) dir=$arch-bench extra= ;;
*) die "unknown kernel flavour '$flavour' (known: test bench)" ;;
esac
[ $# -le 2 ] || die "usage: build-kernel.sh ARCH [test|bench]"
[ -f "$TREE/tools/testing/kunit/kunit.py" ] || die "no build/linux; run 'make tree' first"
out=${BUILD_OUT:-$BUILD/out}/$dir
mkdir -p "$out"
export CCACHE_BASEDIR=$BUILD CCACHE_NOHASHDIR=1
cc=$(kernel_cc "$arch")
note "building $arch ($flavour) in ${out#"$TOP"/}"
start=$SECONDS
if ! python3 "$TREE/tools/testing/kunit/kunit.py" build --arch="$arch" \
		${cross:+--cross_compile="$cross"} --build_dir="$out" \
		--kunitconfig="$TOP/configs/kunit-common.config" \
		--kunitconfig="$TOP/configs/kunit-$arch.config" ${extra:+"$extra"} \
		--make_options="CC=$cc" --jobs="$JOBS" > "$out/build.log" 2>&1; then
	grep -E 'error|ERROR|missing|not set' "$out/build.log" | head -n 20 >&2
	die "$arch kernel build failed (log: ${out#"$TOP"/}/build.log)"
fi
note "built $arch ($flavour) in $((SECONDS - start)) s"
