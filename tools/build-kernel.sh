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
# without them, with the instruction counter of configs/kunit-bench*.config,
# in build/out/ARCH-bench, for make bench.  The bench kernel
# is built from build/linux-bench, a git worktree of build/linux: its HEAD,
# the uncommitted changes to its tracked files, and
# configs/bench-kernel.patch, the knobs that let one boot time Linux 7.3's
# unmap and an untrusted device (never part of the series).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

arch=${1:-}
flavour=${2:-test}
cross=$(cross_compile "$arch")
case $flavour in
test)
	dir=$arch extra=(--kunitconfig="$TOP/configs/kunit-sanitizers.config")
	# KASAN: every arch but ppc64le, whose KASAN kernel hangs at its first
	# printk under QEMU's pseries (docs/harness.md, "ppc64le").
	[ "$arch" = ppc64le ] || extra+=(--kunitconfig="$TOP/configs/kunit-kasan.config")
	;;
bench)
	dir=$arch-bench extra=(--kunitconfig="$TOP/configs/kunit-bench.config")
	if [ -f "$TOP/configs/kunit-bench-$arch.config" ]; then
		extra+=(--kunitconfig="$TOP/configs/kunit-bench-$arch.config")
	fi
	;;
*) die "unknown kernel flavour '$flavour' (known: test bench)" ;;
esac
[ $# -le 2 ] || die "usage: build-kernel.sh ARCH [test|bench]"
[ -f "$TREE/tools/testing/kunit/kunit.py" ] || die "no build/linux; run 'make tree' first"

# build/linux-bench as described above.  Checked out again only when one of
# its three inputs changed, so that a warm rebuild recompiles only what did.
bench_tree() {
	local wt=$BUILD/linux-bench head want
	head=$(git -C "$TREE" rev-parse --verify -q HEAD) ||
		die "${TREE#"$TOP"/} is not a git tree: the bench kernel is built from its commits"
	want=$({ echo "$head"; git -C "$TREE" diff HEAD; cat "$TOP/configs/bench-kernel.patch"; } |
		sha1sum)
	if [ "$(git -C "$wt" rev-parse --path-format=absolute --git-common-dir 2>/dev/null)" != \
	     "$(git -C "$TREE" rev-parse --path-format=absolute --git-common-dir)" ]; then
		rm -rf "$wt"
		git -C "$TREE" worktree prune
		git -C "$TREE" worktree add -q --detach "$wt" "$head"
		rm -f "$wt.made"
	fi
	[ "$(cat "$wt.made" 2>/dev/null)" != "$want" ] || return 0
	git -C "$wt" checkout -q -f --detach "$head"
	git -C "$TREE" diff --binary HEAD | git -C "$wt" apply --allow-empty ||
		die "cannot apply build/linux's uncommitted changes to ${wt#"$TOP"/}"
	git -C "$wt" apply "$TOP/configs/bench-kernel.patch" ||
		die "configs/bench-kernel.patch does not apply to build/linux's HEAD"
	echo "$want" > "$wt.made"
}
src=$TREE
if [ "$flavour" = bench ]; then
	bench_tree
	src=$BUILD/linux-bench
fi
out=${BUILD_OUT:-$BUILD/out}/$dir
mkdir -p "$out"
export CCACHE_BASEDIR=$BUILD CCACHE_NOHASHDIR=1
cc=$(kernel_cc "$arch")
note "building $arch ($flavour) in ${out#"$TOP"/}"
start=$SECONDS
if ! python3 "$src/tools/testing/kunit/kunit.py" build --arch="$(kunit_arch "$arch")" \
		${cross:+--cross_compile="$cross"} --build_dir="$out" \
		--kunitconfig="$TOP/configs/kunit-common.config" \
		--kunitconfig="$TOP/configs/kunit-$arch.config" "${extra[@]}" \
		--make_options="CC=$cc" --jobs="$JOBS" > "$out/build.log" 2>&1; then
	grep -E 'error|ERROR|missing|not set' "$out/build.log" | head -n 20 >&2
	die "$arch kernel build failed (log: ${out#"$TOP"/}/build.log)"
fi
note "built $arch ($flavour) in $((SECONDS - start)) s"
