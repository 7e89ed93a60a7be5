#!/usr/bin/env bash
# Per-patch checks, with each patch of build/linux (fixes/, then series/)
# applied in turn in a separate worktree (build/check, built in
# build/out/check for x86_64, with the KUnit .config plus
# configs/fixes.config, so that the fixes' drivers are compiled too):
#   - checkpatch.pl --strict on the patch, less PARENTHESIS_ALIGNMENT, the
#     continuation-line alignment that kernel/dma already uses, and less
#     FILE_PATH_CHANGES, replaced by a check that each new file has a
#     MAINTAINERS entry (get_maintainer.pl finds a subsystem for it), and
#     less UNKNOWN_COMMIT_ID: the base is a release tarball without history,
#     so checkpatch cannot look up the commits that Fixes: tags name;
#   - kernel-doc -Wall on the .c and .h files it touches;
#   - a W=1 build with sparse (C=2) of the kernel directories it touches,
#     with kernel/dma, the DMA headers' main user, standing in for include/;
#     this also shows that the series is bisectable.  Every kernel .c file
#     the patch touches must yield its object, so that a file the config
#     leaves out cannot pass unbuilt.  Documentation/, scripts/ and tools/
#     build nothing here: tools/ files, which are user space, are compiled
#     with their own Makefile by make bench and the boots.
# Warnings count when the patch adds them: each check also runs on the
# patch's parent, and only what is new fails, counted: a second copy of a
# warning the parent has is new.  Commits are paired with the patch files
# of fixes/ and series/ by git patch-id, so a tree that differs from the
# files is caught rather than checked under the wrong name.  Prints one line per patch and
# check; exits non-zero if any failed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ -d "$TREE/.git" ] || die "no build/linux; run 'make tree' first"
[ -f "$BUILD/out/x86_64/.config" ] || die "no x86_64 build; run 'make build ARCH=x86_64' first"
config=$BUILD/out/check.config
# Without the sanitizers of the boots' kernels: KASAN's instrumentation
# changes no warning these checks look for, and would only slow the builds.
{ cat "$BUILD/out/x86_64/.config" "$TOP/configs/fixes.config"
  no_sanitizers
} > "$config"
check=$BUILD/check
out=$BUILD/out/check
logs=$BUILD/results/patches
cache=$BUILD/cache/patches
mkdir -p "$out" "$logs" "$cache"
if [ ! -e "$check/.git" ]; then
	git -C "$TREE" worktree prune
	git -C "$TREE" worktree add -q --detach "$check" base
fi
export CCACHE_BASEDIR=$BUILD CCACHE_NOHASHDIR=1
kmake=(make -s -C "$check" O="$out" ARCH=x86_64 "CC=$(kernel_cc x86_64)" -j"$JOBS")
sparse=$(sparse_bin)

# "file: warning: text" lines, without line numbers, for comparing commits.
warnings() {
	sed -n -E 's#^([^ :]+):[0-9]+(:[0-9]+)?: (warning|error): (.*)$#\1: \3: \4#p' |
		sed -E "s|^$check/||; s|^\.\./\.\./check/||" | sort
}

# W=1 and sparse warnings of the commit checked out, for directories $@;
# the objects built there go to $objlist, for the check that each touched
# .c file yields one.
build_warnings() {
	local d kconfig
	git -C "$check" checkout -q --detach "$rev"
	# The build below runs syncconfig on the copy, as olddefconfig would:
	# it is newer than include/config/auto.conf.  Syncconfig drops the
	# options a commit's Kconfig does not know yet, so the config is
	# copied again whenever the Kconfig files differ from the last
	# build's; but only then, as syncconfig and the rebuilds it sets off
	# cost 8 s a build, about half of a kernel/dma/ one.
	kconfig=$(git -C "$TREE" ls-tree -r "$rev" |
	      awk -F'\t' '$2 ~ /(^|\/)Kconfig[^\/]*$/' | cat - "$config" | md5sum)
	if [ ! -f "$out/.config" ] ||
	   [ "$kconfig" != "$(cat "$out/.check-kconfig" 2>/dev/null)" ]; then
		cp "$config" "$out/.config"
		echo "$kconfig" > "$out/.check-kconfig"
	fi
	for d in "$@"; do
		[ ! -d "$out/$d" ] || find "$out/$d" -name '*.o' -delete
	done
	"${kmake[@]}" W=1 C=2 CHECK="$sparse" "$@" 2>&1 | tee "$cache/build.log" | warnings
	local rc=${PIPESTATUS[0]}
	(cd "$out" && find "$@" -name '*.o' 2>/dev/null | sort) > "$objlist"
	return "$rc"
}

# The warnings of $rev (W=1 and sparse for directories, or kernel-doc for
# files) depend only on the source tree, the directories or files, the
# config and the checker, so they are kept in build/cache/ under those:
# a patch's parent shares them with the patch before it when the two
# touch the same directories.  Prints the warnings, sorted for comm, and
# sets $objlist to the list of objects the build made.
cached() {	# kind rev args...
	local kind=$1 key
	rev=$2
	shift 2
	key=$kind-$(git -C "$TREE" rev-parse "$rev^{tree}")-$(echo "$* $sparse" |
		cat - "$config" | md5sum | cut -c1-12)
	objlist=$cache/$key.objs
	if [ ! -f "$cache/$key.status" ]; then
		if "${kind}_warnings" "$@" > "$cache/$key.out"; then
			echo 0 > "$cache/$key.status"
		else
			echo 1 > "$cache/$key.status"
		fi
	fi
	sort "$cache/$key.out"
	return "$(cat "$cache/$key.status")"
}

# The touched .c files of $rev that exist there but have no object in
# $objlist: the config leaves them out, so nothing checked them.
unbuilt() {	# rev
	local f
	for f in "${objs[@]}"; do
		git -C "$TREE" cat-file -e "$1:$f" 2>/dev/null || continue
		grep -qxF "${f%.c}.o" "$objlist" 2>/dev/null || echo "$f"
	done
}

kdoc_warnings() {
	local f
	git -C "$check" checkout -q --detach "$rev"
	for f in "$@"; do
		[ ! -f "$check/$f" ] || (cd "$check" && scripts/kernel-doc -none -Wall "$f" 2>&1)
	done | sed -n -E 's#^[Ww]arning: ([^ :]+):[0-9]+:? (.*)$#\1: warning: \2#p' | sort
}

fail=0
result() {	# patch check status detail
	printf '%-4s %-12s %s%s\n' "$3" "$2" "$1" "${4:+: $4}"
	[ "$3" = ok ] || fail=1
}

# The patch file of each commit, found by git patch-id; a commit with none
# is checked as it is exported (the tree holds work not in fixes/ or
# series/), and named by its subject.
declare -A pfile_of
while read -r id f; do
	pfile_of[$id]=$f
done < <(for f in $(sed "s|^|$FIXES/|" "$FIXES/series" 2>/dev/null
		    sed "s|^|$SERIES/|" "$SERIES/series" 2>/dev/null); do
		git patch-id --stable < "$f" | awk -v f="$f" '{print $1, f}'
	 done)
n=0
for commit in $(git -C "$TREE" rev-list --reverse base..series); do
	n=$((n + 1))
	id=$(git -C "$TREE" show "$commit" | git patch-id --stable | cut -d' ' -f1)
	patch=${pfile_of[$id]:-}
	name=${patch#"$TOP"/}
	name=${name:-$(git -C "$TREE" log -1 --format=%s "$commit") (not in fixes/ or series/)}
	log=$logs/$(printf %04d "$n")
	rm -f "$log".*
	mapfile -t files < <(git -C "$TREE" diff --name-only --diff-filter=AM "$commit^" "$commit")
	mapfile -t dirs < <(printf '%s\n' "${files[@]}" |
			    grep -vE '^(Documentation|scripts|tools)/|^[^/]*$' |
			    sed 's|^include/.*|kernel/dma/x|' | xargs -rn1 dirname |
			    sort -u | sed 's|$|/|')
	mapfile -t srcs < <(printf '%s\n' "${files[@]}" | grep -E '\.[ch]$' || true)
	mapfile -t objs < <(printf '%s\n' "${files[@]}" | grep '\.c$' | grep -vE '^(Documentation|scripts|tools)/' || true)

	# checkpatch, on the patch as exported when series/ matches the tree
	if [ -n "$patch" ] && [ -f "$patch" ]; then
		pfile=$patch
	else
		pfile=$log.patch
		git -C "$TREE" format-patch -1 --stdout "$commit" > "$pfile"
	fi
	# Debian's python3 first: spdxcheck.py needs python3-ply and python3-git.
	if PATH=/usr/bin:$PATH "$TREE/scripts/checkpatch.pl" --root="$TREE" --strict \
		--quiet --no-summary --show-types \
		--ignore PARENTHESIS_ALIGNMENT,FILE_PATH_CHANGES,UNKNOWN_COMMIT_ID "$pfile" > "$log.checkpatch" 2>&1; then
		result "$name" checkpatch ok
	else
		result "$name" checkpatch FAIL "$(grep -cE '^(ERROR|WARNING|CHECK)' "$log.checkpatch") reports, see ${log#"$TOP"/}.checkpatch"
	fi

	# checkpatch's FILE_PATH_CHANGES asks whether MAINTAINERS needs updating
	# for any new file; answer it: each new file needs a subsystem entry.
	orphans=
	for f in $(git -C "$TREE" diff --name-only --diff-filter=A "$commit^" "$commit"); do
		sub=$(cd "$TREE" && perl scripts/get_maintainer.pl --no-git --no-git-fallback \
			--subsystem --no-email --no-l --no-r -f "$f" 2>/dev/null | head -n 1)
		[ -n "$sub" ] && [ "$sub" != "THE REST" ] || orphans+=" $f"
	done
	if [ -z "$orphans" ]; then
		result "$name" maintainers ok
	else
		result "$name" maintainers FAIL "no MAINTAINERS entry for$orphans"
	fi

	cached kdoc "$commit^" "${srcs[@]}" > "$log.kdoc-before"
	cached kdoc "$commit" "${srcs[@]}" > "$log.kdoc-after"
	built=1 missing=
	if [ ${#dirs[@]} -gt 0 ]; then
		cached build "$commit^" "${dirs[@]}" > "$log.w1-before" || true
		cached build "$commit" "${dirs[@]}" > "$log.w1-after" || built=0
		missing=$(unbuilt "$commit" | tr '\n' ' ')
	else
		: > "$log.w1-before"
		: > "$log.w1-after"
	fi

	new=$(comm -13 "$log.kdoc-before" "$log.kdoc-after")
	if [ -z "$new" ]; then
		result "$name" kernel-doc ok
	else
		result "$name" kernel-doc FAIL "$(head -n 1 <<< "$new")"
	fi
	new=$(comm -13 "$log.w1-before" "$log.w1-after")
	if [ $built = 0 ]; then
		result "$name" 'W=1 sparse' FAIL "build of ${dirs[*]} failed, see build/cache/patches/build.log"
	elif [ -n "$missing" ]; then
		result "$name" 'W=1 sparse' FAIL "no object built for ${missing% }: the config leaves it out"
	elif [ -n "$new" ]; then
		result "$name" 'W=1 sparse' FAIL "$(head -n 1 <<< "$new")"
	elif [ ${#dirs[@]} = 0 ]; then
		result "$name" 'W=1 sparse' ok "no kernel source changed"
	else
		result "$name" 'W=1 sparse' ok "${dirs[*]}"
	fi
done
[ $n -gt 0 ] || note "no patches in build/linux"
exit $fail
