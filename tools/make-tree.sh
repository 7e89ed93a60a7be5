#!/usr/bin/env bash
# Create build/linux: a git tree holding the base (tag "base"), the fixes
# series fixes/ applied by git am on branch "fixes", and series/ on top of it
# on branch "series"; and v1 as posted (v1/fixes and v1/series) on branches
# "v1-fixes" and "v1-series", which the export's range-diff compares with.  Each cover letter's subject and body become its
# branch's description, which tools/export-series.sh turns back into the
# cover letter.  The tree is built aside and renamed into place only once
# every patch applied, so a failed import never leaves a usable-looking tree.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
load_base

# The branches as this script made them, recorded in the tree's config: a
# tree whose branches are still there and whose files are clean holds no
# work of its own, so when fixes/ or series/ changed (a git pull), it is
# made again; one that holds unexported work is refused, never overwritten.
if [ -d "$TREE" ]; then
	if [ "${FORCE:-0}" != 1 ]; then
		if "$TOP/tools/check-roundtrip.sh" --quiet; then
			note "build/linux is already the base plus fixes/ and series/"
			exit 0
		fi
		made=$(git -C "$TREE" config dmaseries.made 2>/dev/null || true)
		now=$(git -C "$TREE" rev-parse -q --verify fixes 2>/dev/null || true)
		now+=" $(git -C "$TREE" rev-parse -q --verify series 2>/dev/null || true)"
		if [ -z "$made" ] || [ "$made" != "$now" ] ||
		   [ -n "$(git -C "$TREE" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
			die "build/linux has work that is not in fixes/ or series/; run 'make export', or 'make tree FORCE=1' to discard it"
		fi
		note "fixes/ or series/ changed since build/linux was made; making it again"
	fi
	# and the worktrees of the old tree, which would point into nothing
	rm -rf "$TREE" "$BUILD/check" "$BUILD/mutant"
fi

new=$TREE.new
rm -rf "$new" "$TREE.failed"
note "creating build/linux from $BASE_LABEL"
git clone -q --shared --no-checkout "$BASE_REPO" "$new"
# git am needs a committer; the export (--zero-commit) never shows it.
git config user.email > /dev/null || git -C "$new" config user.email harness@dma-series.invalid
git config user.name > /dev/null || git -C "$new" config user.name dma-series
git -C "$new" tag -f base "$BASE_USED" > /dev/null
# Each patch's changelog is its commit's git note: rebases carry it along.
git -C "$new" config notes.rewriteRef refs/notes/commits

# apply DIR BRANCH: git am the patches DIR/series names, on top of HEAD, and
# give BRANCH (at the result) the cover letter as its description.  What a
# patch has under "Notes:" after its "---" (its changelog, which git am
# drops) becomes the git note of its commit again, for the next export.
apply() {
	local dir=$1 branch=$2 p patches failed start cover commits i
	start=$(git -C "$new" rev-parse HEAD)
	mapfile -t patches < <(grep -v '^#' "$dir/series" 2>/dev/null | sed '/^$/d')
	for p in "${patches[@]}"; do
		[ -f "$dir/$p" ] || die "${dir#"$TOP"/}/series names $p, which is not in ${dir#"$TOP"/}/"
	done
	if [ ${#patches[@]} -gt 0 ]; then
		if ! (cd "$dir" && git -C "$new" am -q --committer-date-is-author-date \
				"${patches[@]/#/$dir/}") > "$BUILD/am.log" 2>&1; then
			failed=$(git -C "$new" am --show-current-patch=raw 2>/dev/null |
				 sed -n 's/^Subject: //p' | head -n 1)
			mv "$new" "$TREE.failed"
			die "a patch does not apply to $BASE_LABEL: '$failed' (log: build/am.log, tree: build/linux.failed)"
		fi
	fi
	git -C "$new" branch -f "$branch" HEAD
	mapfile -t commits < <(git -C "$new" rev-list --reverse "$start..HEAD")
	for i in "${!patches[@]}"; do
		"$TOP/tools/cover-letter.py" notes "$dir/${patches[i]}" > "$BUILD/notes.txt"
		[ ! -s "$BUILD/notes.txt" ] ||
			git -C "$new" notes add -f -F "$BUILD/notes.txt" "${commits[i]}"
	done
	cover=$(compgen -G "$dir/*0000-cover-letter.patch" | head -n 1 || true)
	if [ -n "$cover" ]; then
		"$TOP/tools/cover-letter.py" extract "$cover" > "$BUILD/cover.txt"
		git -C "$new" config "branch.$branch.description" "$(cat "$BUILD/cover.txt")"
	fi
}

# v1 as posted (v1/), for the range-diff in each cover letter.
git -C "$new" checkout -q --detach "$BASE_USED"
apply "$V1/fixes" v1-fixes
apply "$V1/series" v1-series
git -C "$new" checkout -q --detach "$BASE_USED"
apply "$FIXES" fixes
apply "$SERIES" series
git -C "$new" checkout -q series
git -C "$new" config dmaseries.made "$(git -C "$new" rev-parse fixes) $(git -C "$new" rev-parse series)"
mv "$new" "$TREE"
note "build/linux: $(git -C "$TREE" rev-list --count base..fixes) fixes and $(git -C "$TREE" rev-list --count fixes..series) patches on $BASE_LABEL"
