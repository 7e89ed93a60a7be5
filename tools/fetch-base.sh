#!/usr/bin/env bash
# Make the base kernel available as a git commit and record it in
# build/base.env (BASE_REPO, BASE_USED, BASE_LABEL, KERNEL_VERSION).
#
# Default: Debian's linux-source package named in BASE, fetched with apt
# through a private state dir under $CACHE_DIR (the system's sources lists are
# never touched), checked against BASE's sha256, and committed with a fixed
# author, date and message so that the commit id is reproducible.
# KERNEL_SRC=/path uses the user's own tree instead: a git checkout's HEAD, or
# a plain tree imported the same way as the Debian tarball.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$BASE_FILE"

BASE_GIT=$CACHE_DIR/base.git
tmp=
trap '[ -z "$tmp" ] || rm -rf "$tmp"' EXIT
mkdir -p "$BUILD" "$CACHE_DIR"

write_env() {	# repo git-dir commit label
	local version
	version=$(git --git-dir="$2" show "$3:Makefile" 2>/dev/null |
		  awk '/^VERSION =/ {v=$3} /^PATCHLEVEL =/ {p=$3}
		       /^SUBLEVEL =/ {s=$3} END {print v "." p "." s}') ||
		version=unknown
	cat > "$BUILD/base.env" <<-ENV
	BASE_REPO='$1'
	BASE_USED='$3'
	BASE_LABEL='$4'
	KERNEL_VERSION='$version'
	ENV
	note "base: $4, Linux $version, commit $3"
}

# Commit every file of $1 into $BASE_GIT with a fixed identity, date ($2,
# epoch) and message ($3); prints the commit id.  Files are added with -f:
# the tree's own .gitignore ignores some tracked files (".*" matches
# .gitignore itself).  Debian's stanza that ignores every top-level path is
# dropped first: with it, new files could never be tracked.
commit_tree() {
	local src=$1 date=$2 msg=$3 tree
	if grep -q '^# Debian packaging: ignore everything' "$src/.gitignore" 2>/dev/null; then
		sed -i '/^# Debian packaging: ignore everything/,/^!\/debian\/$/d' "$src/.gitignore"
		# drop the stanza's leading "#" and blank lines left at the end
		awk '{l[NR] = $0} END {n = NR; while (n && l[n] ~ /^#?$/) n--
			for (i = 1; i <= n; i++) print l[i]}' "$src/.gitignore" > "$src/.gitignore.new"
		mv "$src/.gitignore.new" "$src/.gitignore"
	fi
	[ -d "$BASE_GIT" ] || git init -q --bare "$BASE_GIT"
	export GIT_DIR=$BASE_GIT GIT_WORK_TREE=$src GIT_INDEX_FILE=$BASE_GIT/import.index
	rm -f "$GIT_INDEX_FILE"
	git -c core.autocrlf=false -c core.fileMode=true add -A -f .
	tree=$(git write-tree)
	rm -f "$GIT_INDEX_FILE"
	GIT_AUTHOR_NAME=dma-series GIT_AUTHOR_EMAIL=base@dma-series.invalid \
	GIT_COMMITTER_NAME=dma-series GIT_COMMITTER_EMAIL=base@dma-series.invalid \
	GIT_AUTHOR_DATE="@$date +0000" GIT_COMMITTER_DATE="@$date +0000" \
		git commit-tree "$tree" -m "$msg"
	unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE
}

is_kernel_tree() {
	[ -f "$1/Makefile" ] && grep -q '^VERSION = ' "$1/Makefile" &&
		[ -f "$1/kernel/dma/mapping.c" ] &&
		[ -f "$1/tools/testing/kunit/kunit.py" ]
}

use_kernel_src() {
	local src
	src=$(cd "$KERNEL_SRC" 2>/dev/null && pwd) ||
		die "KERNEL_SRC=$KERNEL_SRC is not a directory"
	is_kernel_tree "$src" ||
		die "KERNEL_SRC=$KERNEL_SRC is not a kernel tree (needs Makefile with VERSION, kernel/dma/mapping.c, tools/testing/kunit)"
	if [ "$(git -C "$src" rev-parse --show-toplevel 2>/dev/null)" = "$src" ]; then
		local head
		head=$(git -C "$src" rev-parse HEAD)
		[ -z "$(git -C "$src" status --porcelain --untracked-files=no)" ] ||
			note "warning: KERNEL_SRC has uncommitted changes; using its HEAD $head"
		write_env "$src" "$(git -C "$src" rev-parse --git-common-dir | sed "s|^[^/]|$src/&|")" \
			"$head" "KERNEL_SRC=$src (git HEAD)"
		return
	fi
	# A plain tree: import a copy (never modify the user's files).
	local commit
	[ ! -e "$src/.config" ] && [ ! -e "$src/vmlinux" ] ||
		die "KERNEL_SRC=$KERNEL_SRC has in-tree build output; run 'make mrproper' there or use a git checkout"
	tmp=$(mktemp -d "$CACHE_DIR/import.XXXXXX")
	note "importing plain tree $src"
	rsync -a --exclude=.git "$src/" "$tmp/"
	commit=$(commit_tree "$tmp" "$(stat -c %Y "$src/Makefile")" \
		"Import of the kernel tree at $src")
	write_env "$BASE_GIT" "$BASE_GIT" "$commit" "KERNEL_SRC=$src (plain tree)"
}

# Sets version and tarball: BASE's package from the first of its suites that
# has it, through the private apt state.
download_debian() {
	mkdir -p "$APT/debs"
	note "looking for $PACKAGE in $SUITES"
	apt_private_update
	local versions
	# shellcheck disable=SC2046
	versions=$(apt-cache $(apt_opts) madison "$PACKAGE" 2>/dev/null |
		   awk -F' \\| ' '{print $2}')
	[ -n "$versions" ] || die "$PACKAGE is in none of the suites $SUITES"
	if grep -qxF "$VERSION" <<< "$versions"; then
		version=$VERSION
	else
		version=$(sort -V <<< "$versions" | tail -n 1)
		note "Debian no longer ships $PACKAGE $VERSION; using $version (report this version)"
	fi
	local deb
	(cd "$APT/debs" && apt_private download "$PACKAGE=$version" > "$APT/download.log" 2>&1) ||
		die "could not download $PACKAGE=$version (see $APT/download.log)"
	deb=$(ls "$APT"/debs/"${PACKAGE}_${version/:/%3a}"_*.deb)
	mkdir -p "$tmp/deb"
	dpkg-deb -x "$deb" "$tmp/deb"
	tarball=$tmp/deb/usr/src/$TARBALL
	[ -f "$tarball" ] || die "$deb has no usr/src/$TARBALL"
}

use_debian() {
	if git --git-dir="$BASE_GIT" cat-file -e "$BASE_COMMIT^{commit}" 2>/dev/null; then
		write_env "$BASE_GIT" "$BASE_GIT" "$BASE_COMMIT" "Debian $PACKAGE $VERSION"
		return
	fi
	local version tarball
	tmp=$(mktemp -d "$CACHE_DIR/import.XXXXXX")
	if [ -n "${BASE_TARBALL:-}" ]; then
		# an offline copy of the tarball, checked like a download
		[ -f "$BASE_TARBALL" ] || die "BASE_TARBALL=$BASE_TARBALL is not a file"
		version=$VERSION tarball=$BASE_TARBALL
	else
		download_debian
	fi
	local sum commit
	sum=$(sha256sum "$tarball" | cut -d' ' -f1)
	if [ "$version" = "$VERSION" ] && [ "$sum" != "$TARBALL_SHA256" ]; then
		die "$TARBALL sha256 is $sum, BASE records $TARBALL_SHA256"
	fi
	note "unpacking $TARBALL ($version, sha256 $sum)"
	mkdir "$tmp/src"
	tar -xJf "$tarball" -C "$tmp/src" --strip-components=1
	# The commit date is the tarball's date in the package, which a copy
	# given as BASE_TARBALL may have lost: BASE records it.
	commit=$(commit_tree "$tmp/src" "${TARBALL_DATE:-$(stat -c %Y "$tarball")}" \
"Linux base from Debian $PACKAGE $version

Unpacked from $TARBALL in Debian's $PACKAGE package,
version $version, tarball sha256
$sum.

Debian's .gitignore stanza that ignores every top-level path is
dropped so that new files can be tracked.")
	if [ "$version" = "$VERSION" ] && [ "$commit" != "$BASE_COMMIT" ]; then
		die "base commit is $commit, BASE records $BASE_COMMIT: the import is not reproducible"
	fi
	git --git-dir="$BASE_GIT" update-ref "refs/heads/debian-${version//[~:]/_}" "$commit"
	write_env "$BASE_GIT" "$BASE_GIT" "$commit" "Debian $PACKAGE $version"
}

if [ -n "${KERNEL_SRC:-}" ]; then
	use_kernel_src
else
	use_debian
fi
