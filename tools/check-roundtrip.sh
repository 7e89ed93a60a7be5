#!/usr/bin/env bash
# Check that exporting build/linux reproduces fixes/ and series/ byte for byte.  With a
# base other than the one recorded in BASE (KERNEL_SRC, or a newer Debian
# version) the base-commit and blob index lines differ by nature and are
# left out of the comparison.  --quiet: only the exit status.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
load_base

quiet=0
[ "${1:-}" != --quiet ] || quiet=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$TOP/tools/export-series.sh" "$tmp" 2> "$tmp/err" || {
	[ $quiet = 1 ] || cat "$tmp/err" >&2
	exit 1
}
filter=(cat)
if [ "${BASE_USED:-}" != "$BASE_COMMIT" ]; then
	filter=(grep -v -e '^base-commit: ' -e '^index [0-9a-f]*\.\.[0-9a-f]*')
fi
for kind in fixes series; do
	[ $kind = fixes ] && dir=$FIXES || dir=$SERIES
	for f in "$dir"/* "$tmp/$kind"/*; do
		[ -e "$f" ] || continue
		name=$(basename "$f")
		if ! cmp -s <("${filter[@]}" < "$dir/$name" 2>/dev/null) \
			    <("${filter[@]}" < "$tmp/$kind/$name" 2>/dev/null) ||
		   [ ! -e "$dir/$name" ] || [ ! -e "$tmp/$kind/$name" ]; then
			[ $quiet = 1 ] || { echo "error: export of build/linux differs from $kind/ at $name" >&2
				diff -u "$dir/$name" "$tmp/$kind/$name" 2>&1 | head -20 >&2; }
			exit 1
		fi
	done
done
[ $quiet = 1 ] || note "round trip: export of build/linux equals fixes/ ($(wc -l < "$FIXES/series") patches) and series/ ($(wc -l < "$SERIES/series") patches)"
