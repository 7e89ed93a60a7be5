#!/usr/bin/env bash
# The series' DMA-API semantic patches against their fixtures: for each
# tools/cocci-tests/NAME.c, scripts/coccinelle/api/NAME.cocci of build/linux
# must print exactly NAME.report in report mode, produce NAME.patch in patch
# mode where the script has one, and mark code in context mode.  The
# fixtures hold both what must be reported and what must not (each file's
# first line says which functions are negatives), so a script that goes
# blind or starts reporting correct code fails here.  One "ok"/"FAIL" line
# per script and mode.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

tests=$TOP/tools/cocci-tests
[ -d "$TREE/.git" ] || die "no build/linux; run 'make tree' first"
command -v spatch > /dev/null || die "spatch not found; run 'make deps'"
spatch=(spatch --very-quiet --no-includes --include-headers)
fail=0
result() {	# status name detail
	printf '%-4s %s%s\n' "$1" "$2" "${3:+: $3}"
	[ "$1" = ok ] || fail=1
}

cd "$tests"
for c in *.c; do
	name=${c%.c}
	cocci=$TREE/scripts/coccinelle/api/$name.cocci
	if [ ! -f "$cocci" ]; then
		result FAIL "$name" "no scripts/coccinelle/api/$name.cocci in build/linux"
		continue
	fi
	if diff -u "$name.report" <("${spatch[@]}" -D report --no-show-diff \
			--cocci-file "$cocci" "$c" 2>&1) > "$BUILD/cocci-test.diff"; then
		result ok "$name report"
	else
		result FAIL "$name report" "$(grep -c '^[-+][^-+]' "$BUILD/cocci-test.diff") lines differ"
	fi
	if [ -f "$name.patch" ]; then
		if diff -u "$name.patch" <("${spatch[@]}" -D patch --cocci-file "$cocci" "$c" 2>&1 |
				sed '/^+++ /c +++ patched') > "$BUILD/cocci-test.diff"; then
			result ok "$name patch"
		else
			result FAIL "$name patch" "$(grep -c '^[-+][^-+]' "$BUILD/cocci-test.diff") lines differ"
		fi
	fi
	# context mode marks a line for each report, at least
	marked=$("${spatch[@]}" -D context --cocci-file "$cocci" "$c" 2>&1 | grep -c '^-[^-]' || true)
	if [ "$marked" -ge "$(wc -l < "$name.report")" ]; then
		result ok "$name context"
	else
		result FAIL "$name context" "$marked lines marked for $(wc -l < "$name.report") reports"
	fi
done
exit $fail
