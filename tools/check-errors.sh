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
expect_error "bad boot jobs" "--jobs must be 1 to 16" \
	"$TOP/tools/run-scenarios.py" --jobs 0
expect_error "unknown bench boot" "unknown boot 'nope'" \
	"$TOP/tools/bench.py" --boot nope
expect_error "bad bench rounds" "--rounds must be 1 to 50" \
	"$TOP/tools/bench.py" --rounds 0
expect_error "unknown scenario (lava)" "unknown scenario 'nope'" \
	/usr/bin/python3 "$TOP/tools/lava.py" --scenario nope
expect_error "lava jobs outside build/" "--dest must be under build/" \
	/usr/bin/python3 "$TOP/tools/lava.py" --dest "$tmp/lava"
expect_error "lava-run without LAVA's templates" "no qemu.jinja2 in" \
	/usr/bin/python3 "$TOP/tools/lava-run.py" nope --templates "$tmp"
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
# With the real cache: its apt lists are fresh (lib.sh's apt_private_update
# fetches them again only when stale), so this costs no download.
sed 's/^PACKAGE=.*/PACKAGE=linux-source-0.0-nonexistent/; s/^BASE_COMMIT=.*/BASE_COMMIT=0/' \
	"$BASE_FILE" > "$tmp/BASE"
expect_error "base package in no suite" "in none of the suites" \
	env BASE_FILE="$tmp/BASE" BUILD="$tmp/b2" "$TOP/tools/fetch-base.sh"
expect_error "BASE_TARBALL missing" "is not a file" \
	env BASE_TARBALL="$tmp/none.tar.xz" CACHE_DIR="$tmp/cache" BUILD="$tmp/b2" \
	"$TOP/tools/fetch-base.sh"
# A fresh clone has no build/: the install log must still be written.
if [ "$(id -u)" = 0 ]; then
	expect_error "package that cannot install" "failed (log: $tmp/fresh/apt-install.log)" \
		env BUILD="$tmp/fresh" DEPS_EXTRA=/nonexistent:dma-series-no-such-package \
		"$TOP/tools/deps.sh"
	if [ ! -s "$tmp/fresh/apt-install.log" ]; then
		echo "FAIL package that cannot install: no log in a fresh build/"
		fail=1
	fi
fi
# A job that LAVA's schema refuses (a suite name that is no valid monitor
# name) must fail its line and the exit, not pass unchecked.
mkdir -p "$tmp/kernels/x86_64/arch/x86/boot"
: > "$tmp/kernels/x86_64/arch/x86/boot/bzImage"
sed '/^\[x86_64-direct\]/,/^suites/s/^suites = \["dma_mapping"/suites = ["dma mapping"/' \
	"$TOP/configs/scenarios.toml" > "$tmp/lava-scenarios.toml"
if /usr/bin/python3 "$TOP/tools/lava.py" --scenarios "$tmp/lava-scenarios.toml" \
	--scenario x86_64-direct --out "$tmp/kernels" --dest "$BUILD/lava-bad" > "$tmp/lava.txt" 2>&1 ||
   ! grep -q "^FAIL x86_64-direct: lava-common rejects" "$tmp/lava.txt"; then
	echo "FAIL lava job that LAVA's schema refuses: not reported"
	sed 's/^/     /' "$tmp/lava.txt" | head -n 5
	fail=1
else
	echo "ok   lava job that LAVA's schema refuses: $(cut -c1-100 "$tmp/lava.txt")"
fi
rm -rf "$BUILD/lava-bad"
# make run takes the arch from the scenario named
if make -s -n -C "$TOP" build SCENARIO=arm64-direct 2> /dev/null |
   grep -q 'for a in arm64; do'; then
	echo "ok   arch from the scenario: make run SCENARIO=arm64-direct builds arm64"
else
	echo "FAIL arch from the scenario: make run SCENARIO=arm64-direct does not build arm64"
	fail=1
fi

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

# build/linux follows series/: a tree made from older patch files, with no
# work of its own, is made again; one with unexported work is refused.  On
# a one-file base, so that it takes a second.
b4=$tmp/b4
mkdir -p "$b4/base" "$b4/series" "$b4/fixes" "$b4/build"
git -C "$b4/base" init -q
echo 'VERSION = 1' > "$b4/base/Makefile"
git -C "$b4/base" add Makefile
git -C "$b4/base" -c user.name=harness -c user.email=harness@dma-series.invalid \
	commit -q -m base
cat > "$b4/build/base.env" <<-ENV
BASE_REPO='$b4/base'
BASE_USED='$(git -C "$b4/base" rev-parse HEAD)'
BASE_LABEL='a one-file base'
ENV
: > "$b4/fixes/series"
mkpatch() {	# version
	cat > "$b4/series/0001-v.patch" <<-PATCH
	From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
	From: harness <harness@dma-series.invalid>
	Date: Thu, 1 Jan 2026 00:00:00 +0000
	Subject: [PATCH] version $1

	---
	 Makefile | 2 +-
	 1 file changed, 1 insertion(+), 1 deletion(-)

	diff --git a/Makefile b/Makefile
	--- a/Makefile
	+++ b/Makefile
	@@ -1 +1 @@
	-VERSION = 1
	+VERSION = $1
	PATCH
	echo 0001-v.patch > "$b4/series/series"
}
tree4=(env SERIES="$b4/series" FIXES="$b4/fixes" V1="$b4/v1" BUILD="$b4/build" "$TOP/tools/make-tree.sh")
mkpatch 2
"${tree4[@]}" > /dev/null 2>&1
mkpatch 3
if "${tree4[@]}" > "$tmp/out" 2>&1 && grep -qx 'VERSION = 3' "$b4/build/linux/Makefile"; then
	echo "ok   stale build/linux: made again from the new series/"
else
	echo "FAIL stale build/linux: not made again from the new series/"
	sed 's/^/     /' "$tmp/out" | head -n 3
	fail=1
fi
echo 'VERSION = 4' > "$b4/build/linux/Makefile"
git -C "$b4/build/linux" -c user.name=harness -c user.email=harness@dma-series.invalid \
	commit -q -a -m 'work of its own'
expect_error "unexported work in build/linux" "has work that is not in fixes/ or series/" \
	"${tree4[@]}"
grep -qx 'VERSION = 4' "$b4/build/linux/Makefile" || {
	echo "FAIL unexported work in build/linux: the work was discarded"
	fail=1
}
exit $fail
