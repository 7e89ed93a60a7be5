#!/usr/bin/env bash
# Write build/linux back as git format-patch output: branch "fixes" (base..
# fixes) to fixes/ and branch "series" (fixes..series) to series/, each with
# its cover letter (from the branch description), numbered patches and order
# file "series".  series/ records the fixes as prerequisite-patch-id lines
# under its base-commit.  An optional argument names another directory to
# write fixes/ and series/ into (tools/check-roundtrip.sh uses one); the
# default rewrites those of the repository.  --zero-commit and --no-signature
# keep the output independent of commit ids and of the git version, so that
# import followed by export is byte-identical.  Each directory also gets
# "maintainers": scripts/get_maintainer.pl's answer for each patch, who
# would receive it (with --no-git: the base has no history; with a fixed
# hash seed, since Perl's hash order otherwise reorders its answer).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

series_out=${1:+$1/series}
fixes_out=${1:+$1/fixes}
series_out=${series_out:-$SERIES}
fixes_out=${fixes_out:-$FIXES}
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
	die "build/linux has fixup commits; run 'git rebase -i --autosquash --update-refs base' there first"
fi
"${git[@]}" rev-parse -q --verify fixes > /dev/null ||
	die "build/linux has no branch 'fixes'; run 'make tree FORCE=1'"
"${git[@]}" merge-base --is-ancestor base fixes &&
	"${git[@]}" merge-base --is-ancestor fixes series ||
	die "branch 'fixes' of build/linux is not between base and series; rebase with --update-refs"

# The cover letter is signed and dated as the last patch's author, not as
# whoever exports it and when.
GIT_COMMITTER_NAME=$("${git[@]}" log -1 --format=%an series)
GIT_COMMITTER_EMAIL=$("${git[@]}" log -1 --format=%ae series)
GIT_COMMITTER_DATE=$("${git[@]}" log -1 --format=%ad --date=raw series)
export GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL GIT_COMMITTER_DATE

# The posting: [PATCH v2 nn/mm].  v1 as posted is kept in v1/, which make
# tree applies as branches v1-fixes and v1-series of build/linux, and each
# cover letter carries the range-diff against it.  Each patch's changelog is
# its commit's git note, which --notes puts under its "---".
version=2
for b in v1-fixes v1-series; do
	"${git[@]}" rev-parse -q --verify "$b" > /dev/null ||
		die "build/linux has no branch '$b' (v1, for the range-diff); run 'make tree FORCE=1'"
done

# write DIR RANGE V1RANGE: the patches of RANGE, a cover letter with the
# range-diff against V1RANGE, and the order file.  The range-diff's commit
# ids are zeroed, as --zero-commit does for the patches: they depend on
# when the commits were made, not on what they hold.
write() {
	local out=$1 range=$2 v1=$3
	mkdir -p "$out"
	rm -f "$out"/*.patch "$out/series" "$out/maintainers"
	if [ -n "$("${git[@]}" rev-list "$range")" ]; then
		"${git[@]}" format-patch -q --zero-commit --no-signature --cover-letter \
			--cover-from-description=subject --base="$("${git[@]}" rev-parse base)" \
			--reroll-count=$version --notes \
			${v1:+--range-diff="$v1"} -o "$out" "$range"
		sed -i -E '/^Range-diff against v[0-9]+:$/,/^$/ s/^( *[0-9-]+: +)[0-9a-f-]{7,}( [<>=!] +[0-9-]+: +)[0-9a-f-]{7,}/\1-------\2-------/' \
			"$out"/*0000-cover-letter.patch
	fi
	(cd "$out" && { ls -- *.patch 2>/dev/null || true; } |
		grep -v -- '0000-cover-letter.patch$' > series || true)
	local p
	while read -r p; do
		echo "$p:"
		(cd "$TREE" && PERL_HASH_SEED=0 PERL_PERTURB_KEYS=0 \
			perl scripts/get_maintainer.pl --no-git --no-git-fallback \
			"$out/$p" 2>/dev/null) | sed 's/^/  /'
	done < "$out/series" > "$out/maintainers"
}
# (no range-diff where there is no v1 to compare with: the harness's own
# tests make trees without one)
v1range() {
	[ -z "$("${git[@]}" rev-list "$1")" ] || echo "$1"
}
write "$fixes_out" base..fixes "$(v1range base..v1-fixes)"
write "$series_out" fixes..series "$(v1range v1-fixes..v1-series)"
[ -n "${1:-}" ] || note "fixes/: $(wc -l < "$fixes_out/series") patches, series/: $(wc -l < "$series_out/series") patches"
