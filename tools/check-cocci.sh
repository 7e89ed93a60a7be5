#!/usr/bin/env bash
# make coccicheck MODE=report on the directories the series touches, at the
# series' head and at its base (in the build/check worktree); a report that
# the base does not have fails.  Reports go to build/results/cocci.*.
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

# Reports as "file: text", without line numbers; a failed run is fatal, so
# that a broken spatch can never look like a clean report.
# A directory's report is a function of its source tree and the scripts,
# so it is kept per tree id in build/cache/cocci.
report() {	# rev
	local d key
	for d in "${dirs[@]}"; do
		key=$cache/$(git -C "$TREE" rev-parse "$1:$d")-$(git -C "$TREE" rev-parse "$1:scripts/coccinelle")
		if [ ! -f "$key" ]; then
			git -C "$check" checkout -q --detach "$1"
			make -s -C "$check" coccicheck MODE=report M="$d" J="$JOBS" \
				> "$out/cocci.raw" 2>&1 ||
				die "make coccicheck M=$d failed at $1 (see build/results/cocci.raw)"
			{ grep -E '^[^ :]+:[0-9]+:' "$out/cocci.raw" || true; } |
				sed "s|^\./|$d/|" > "$key"
		fi
		cat "$key"
	done | sed -E 's|^([^ :]+):[0-9]+:[0-9-]+: |\1: |' | sort -u
}
report base > "$out/cocci.base" || exit
report "$(git -C "$TREE" rev-parse series)" > "$out/cocci.series" || exit
new=$(comm -13 "$out/cocci.base" "$out/cocci.series")
if [ -n "$new" ]; then
	echo "$new" >&2
	die "coccicheck: $(wc -l <<< "$new") new reports in ${dirs[*]}"
fi
note "coccicheck: no new reports in ${dirs[*]}"
