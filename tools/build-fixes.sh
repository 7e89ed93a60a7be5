#!/usr/bin/env bash
# Compile-test the drivers that fixes/ touches on arm64, at the head of
# the series.  (x86_64 compiles them at each fix, with W=1 and sparse, in
# tools/check-patches.sh, with the same configs/fixes.config.)  The KUnit
# kernels leave most of them out (they need networking or USB host
# support, which the suites do not), so the arch gets a second config in
# build/out/fixes-$ARCH, its KUnit .config without the sanitizers, which
# change no warning and only slow the build, plus configs/fixes.config,
# and only the directories that the fixes touch are built, with W=1.
# Every option of the fragment must take, and every .c file the fixes
# touch must yield its object, so that a driver the config fails to enable
# cannot pass unbuilt.  One "ok"/"FAIL" line per arch.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ -d "$TREE/.git" ] || die "no build/linux; run 'make tree' first"
mapfile -t files < <(git -C "$TREE" diff --name-only --diff-filter=AM base fixes -- '*.c')
[ ${#files[@]} -gt 0 ] || { note "the fixes touch no C files"; exit 0; }
mapfile -t dirs < <(printf '%s\n' "${files[@]}" | xargs -n1 dirname | sort -u | sed 's|$|/|')
export CCACHE_BASEDIR=$BUILD CCACHE_NOHASHDIR=1
fail=0
for arch in arm64; do
	cross=$(cross_compile "$arch")
	[ -f "$BUILD/out/$arch/.config" ] || die "no $arch build; run 'make build ARCH=$arch' first"
	out=$BUILD/out/fixes-$arch
	mkdir -p "$out"
	{ cat "$BUILD/out/$arch/.config" "$TOP/configs/fixes.config"
	  no_sanitizers
	} > "$out/.config"
	kmake=(make -s -C "$TREE" O="$out" ARCH="$arch" CROSS_COMPILE="$cross"
	       "CC=ccache ${cross}gcc" -j"$JOBS")
	"${kmake[@]}" olddefconfig > "$out/build.log" 2>&1
	missing=$(grep -E '^CONFIG_' "$TOP/configs/fixes.config" | while read -r opt; do
		grep -qx "$opt" "$out/.config" || echo "${opt%%=*}"; done)
	if [ -n "$missing" ]; then
		printf 'FAIL build fixes %s: not enabled: %s\n' "$arch" "$(echo $missing)"
		fail=1
		continue
	fi
	if ! "${kmake[@]}" W=1 "${dirs[@]}" >> "$out/build.log" 2>&1; then
		printf 'FAIL build fixes %s: build of %s failed, see %s\n' "$arch" "${dirs[*]}" \
			"${out#"$TOP"/}/build.log"
		fail=1
		continue
	fi
	unbuilt=
	for f in "${files[@]}"; do
		[ -f "$out/${f%.c}.o" ] || unbuilt+=" $f"
	done
	if [ -n "$unbuilt" ]; then
		printf 'FAIL build fixes %s: not compiled:%s\n' "$arch" "$unbuilt"
		fail=1
	else
		printf 'ok   build fixes %s: %s\n' "$arch" "${files[*]}"
	fi
done
exit $fail
