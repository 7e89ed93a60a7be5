#!/usr/bin/env bash
# Bad inputs must each get one clear "error:" line and a non-zero exit:
# never a traceback, never a tree that looks usable.  One line per case.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

expect_error() {	# name pattern command...
	local name=$1 pattern=$2 rc
	shift 2
	"$@" > "$tmp/out" 2> "$tmp/err" < /dev/null
	rc=$?
	local lines
	lines=$(grep -c '^error: ' "$tmp/err")
	if [ $rc -ne 0 ] && [ "$lines" = 1 ] && grep -q "^error: .*$pattern" "$tmp/err" &&
	   ! grep -q Traceback "$tmp/out" "$tmp/err"; then
		printf 'ok   %s: %s\n' "$name" "$(grep '^error: ' "$tmp/err")"
	else
		printf 'FAIL %s: exit %d, %s error lines\n' "$name" $rc "$lines"
		sed 's/^/     /' "$tmp/err" | head -n 5
		fail=1
	fi
}

expect_error "unknown scenario" "unknown scenario 'nope'" \
	"$TOP/tools/run-scenarios.py" --scenario nope
expect_error "unknown arch (boot)" "unknown arch 'sparc'" \
	"$TOP/tools/run-scenarios.py" --arch sparc
expect_error "unknown bench boot" "unknown boot 'nope'" \
	"$TOP/tools/bench.py" --boot nope
expect_error "bad bench rounds" "--rounds must be 1 to 50" \
	"$TOP/tools/bench.py" --rounds 0
expect_error "unknown arch (build)" "unknown arch 'sparc'" \
	"$TOP/tools/build-kernel.sh" sparc
sed 's/^disk_bus = "sdhci"/disk_bus = "floppy"/' "$TOP/configs/scenarios.toml" > "$tmp/scenarios.toml"
expect_error "unknown disk bus" "disk_bus must be one of" \
	"$TOP/tools/run-scenarios.py" --scenarios "$tmp/scenarios.toml" --list
mkdir -p "$tmp/plain"
expect_error "KERNEL_SRC not a kernel" "is not a kernel tree" \
	env KERNEL_SRC="$tmp/plain" BUILD="$tmp/b1" "$TOP/tools/fetch-base.sh"
expect_error "KERNEL_SRC missing" "is not a directory" \
	env KERNEL_SRC="$tmp/none" BUILD="$tmp/b1" "$TOP/tools/fetch-base.sh"
sed 's/^PACKAGE=.*/PACKAGE=linux-source-0.0-nonexistent/' "$BASE_FILE" > "$tmp/BASE"
expect_error "base package in no suite" "in none of the suites" \
	env BASE_FILE="$tmp/BASE" CACHE_DIR="$tmp/cache" BUILD="$tmp/b2" \
	"$TOP/tools/fetch-base.sh"

# A patch whose context is not in the base: the import must fail and leave
# no build/linux behind.
mkdir -p "$tmp/series" "$tmp/b3"
cp "$BUILD/base.env" "$tmp/b3/"
cat > "$tmp/series/0001-bad.patch" <<'PATCH'
From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
From: harness <harness@dma-series.invalid>
Date: Thu, 1 Jan 2026 00:00:00 +0000
Subject: [PATCH] does not apply

---
 Makefile | 2 +-
 1 file changed, 1 insertion(+), 1 deletion(-)

diff --git a/Makefile b/Makefile
--- a/Makefile
+++ b/Makefile
@@ -1,3 +1,3 @@
 # no such line in the base
-VERSION = 1
+VERSION = 2
 # nor this one
PATCH
echo 0001-bad.patch > "$tmp/series/series"
expect_error "patch does not apply" "does not apply" \
	env SERIES="$tmp/series" BUILD="$tmp/b3" "$TOP/tools/make-tree.sh"
if [ -e "$tmp/b3/linux" ]; then
	echo "FAIL patch does not apply: build/linux was left behind"
	fail=1
fi
exit $fail
