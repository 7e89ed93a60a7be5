#!/usr/bin/env bash
# Write branch "series" of build/linux as git format-patch output: the cover
# letter (from the branch description), the numbered patches and the order
# file series/series.  An optional argument names another output directory
# (tools/check-roundtrip.sh uses one); the default rewrites series/.
# --zero-commit and --no-signature keep the output independent of commit ids
# and of the git version, so that import followed by export is byte-identical.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=${1:-$SERIES}
[ -d "$TREE/.git" ] || die "no build/linux; run 'make tree' first"
git=(git -C "$TREE")
gitdir=$("${git[@]}" rev-parse --absolute-git-dir)
[ ! -d "$gitdir/rebase-merge" ] && [ ! -d "$gitdir/rebase-apply" ] ||
	die "build/linux is in the middle of a rebase or git am; finish it first"
[ "$("${git[@]}" symbolic-ref -q --short HEAD)" = series ] ||
	die "build/linux is not on branch 'series'; check it out first"
[ -z "$("${git[@]}" status --porcelain --untracked-files=no)" ] ||
	die "build/linux has uncommitted changes; commit them (git commit --fixup) first"
if "${git[@]}" log --format=%s base..series | grep -q '^\(fixup\|squash\|amend\)! '; then
	die "build/linux has fixup commits; run 'git rebase -i --autosquash base' there first"
fi

# The cover letter is signed and dated as the last patch's author, not as
# whoever exports it and when.
GIT_COMMITTER_NAME=$("${git[@]}" log -1 --format=%an series)
GIT_COMMITTER_EMAIL=$("${git[@]}" log -1 --format=%ae series)
GIT_COMMITTER_DATE=$("${git[@]}" log -1 --format=%ad --date=raw series)
export GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL GIT_COMMITTER_DATE

mkdir -p "$out"
rm -f "$out"/*.patch "$out/series"
"${git[@]}" format-patch -q --zero-commit --no-signature --cover-letter \
	--cover-from-description=subject --base="$("${git[@]}" rev-parse base)" \
	-o "$out" base..series
(cd "$out" && ls -- *.patch | grep -v '^0000-cover-letter.patch$' > series)
[ "$out" != "$SERIES" ] || note "series/: $(wc -l < "$out/series") patches"
