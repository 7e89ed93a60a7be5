#!/usr/bin/env bash
# make coccicheck MODE=report on the directories the series touches, at the
# series' head and at its base (in the build/check worktree), both with the
# series' scripts/coccinelle; a report that the base does not have fails.
# So the series' own scripts count too, and what they find in code the
# series does not touch (reports/ triages that) does not.  Reports go to
# build/results/cocci.*.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

check=$BUILD/check
out=$BUILD/results
cache=$BUILD/cache/cocci
mkdir -p "$cache"
[ -e "$check/.git" ] || die "no build/check worktree; run tools/check-patches.sh first"
mapfile -t dirs < <(git -C "$TREE" diff --name-only --diff-filter=AM base series |
		    grep '\.c$' | xargs -r -n1 dirname | sort -u)
[ ${#dirs[@]} -gt 0 ] || { note "coccicheck: the series touches no C files"; exit 0; }

# Reports as "file: text", without line numbers (also those in the text,
# "on line N", so that an edit above a report does not renew it); a failed
# run is fatal, so
# that a broken spatch can never look like a clean report.
# A directory's report is a function of its source tree and the scripts,
# so it is kept per tree id in build/cache/cocci.
head=$(git -C "$TREE" rev-parse series)
scripts=$(git -C "$TREE" rev-parse "$head:scripts/coccinelle")
report() {	# rev
	local d key
	for d in "${dirs[@]}"; do
		key=$cache/$(git -C "$TREE" rev-parse "$1:$d")-$scripts
		if [ ! -f "$key" ]; then
			git -C "$check" checkout -q -f --detach "$1"
			git -C "$check" checkout -q "$head" -- scripts/coccinelle
			make -s -C "$check" coccicheck MODE=report M="$d" J="$JOBS" \
				> "$out/cocci.raw" 2>&1 ||
				die "make coccicheck M=$d failed at $1 (see build/results/cocci.raw)"
			git -C "$check" checkout -q -f --detach "$1"
			git -C "$check" clean -q -f -- scripts/coccinelle
			{ grep -E '^[^ :]+:[0-9]+:' "$out/cocci.raw" || true; } |
				sed "s|^\./|$d/|" > "$key"
		fi
		cat "$key"
	done | sed -E 's|^([^ :]+):[0-9]+:[0-9-]+: |\1: |; s| on line [0-9]+||g' | sort -u
}
report base > "$out/cocci.base" || exit
report "$head" > "$out/cocci.series" || exit
# less the reports configs/cocci-intentional.txt accepts, with its reasons
new=$(comm -13 "$out/cocci.base" "$out/cocci.series" |
      grep -v -x -F -f <(grep -v '^#' "$TOP/configs/cocci-intentional.txt") || true)
if [ -n "$new" ]; then
	echo "$new" >&2
	die "coccicheck: $(wc -l <<< "$new") new reports in ${dirs[*]}"
fi
note "coccicheck: no new reports in ${dirs[*]}"
