# shellcheck shell=bash
# Shared settings and helpers for the harness scripts; sourced, never run.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BASE_FILE=${BASE_FILE:-$TOP/BASE}
BUILD=${BUILD:-$TOP/build}
CACHE_DIR=${CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dma-series}
TREE=${BUILD_TREE:-$BUILD/linux}
SERIES=${SERIES:-$TOP/series}
FIXES=${FIXES:-$TOP/fixes}
V1=${V1:-$TOP/v1}
JOBS=${JOBS:-$(nproc)}

# One line on stderr and a non-zero exit: every user error ends this way.
die() {
	echo "error: $*" >&2
	exit 1
}

note() {
	echo ">>> $*" >&2
}

# Fields of the BASE record (PACKAGE, VERSION, ...), or of the base actually
# in use once tools/fetch-base.sh has written build/base.env.
load_base() {
	# shellcheck source=/dev/null
	. "$BASE_FILE"
	if [ -f "$BUILD/base.env" ]; then
		# shellcheck source=/dev/null
		. "$BUILD/base.env"
	fi
}

# The arches, in the order make test builds them.
ARCH_LIST="x86_64 arm64 ppc64le"

# Map an arch name to the cross-compiler prefix; anything else is an error.
cross_compile() {
	case $1 in
	x86_64) echo "" ;;
	arm64) echo "aarch64-linux-gnu-" ;;
	ppc64le) echo "powerpc64le-linux-gnu-" ;;
	*) die "unknown arch '$1' (known: $ARCH_LIST)" ;;
	esac
}

# "# CONFIG_X is not set" for each option of the boots' sanitizer fragments,
# to append to a .config that must build without them (the compile-only
# checks: KASAN changes no warning they look for, and slows the build).
no_sanitizers() {
	sed -n 's/^\(CONFIG_[A-Z0-9_]*\)=y$/# \1 is not set/p' \
		"$TOP/configs/kunit-sanitizers.config" "$TOP/configs/kunit-kasan.config"
}

# kunit.py's name for an arch (its tools/testing/kunit/qemu_configs/).
kunit_arch() {
	case $1 in
	ppc64le) echo powerpcle ;;
	*) echo "$1" ;;
	esac
}

# The CC= for an arch's kernel: the cross gcc, through ccache when there is one.
kernel_cc() {
	local cross
	cross=$(cross_compile "$1") || exit
	if command -v ccache > /dev/null; then
		echo "ccache ${cross}gcc"
	else
		echo "${cross}gcc"
	fi
}

# The Debian archive to fetch from: DEBIAN_MIRROR, else the site that the
# system's own apt sources use for its release (apt-get indextargets reads
# both the one-line and the deb822 formats).  No host name is written here.
debian_mirror() {
	local codename site
	if [ -n "${DEBIAN_MIRROR:-}" ]; then
		echo "${DEBIAN_MIRROR%/}"
		return
	fi
	codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
	site=$(apt-get indextargets --format '$(SITE) $(RELEASE)' 'Created-By: Packages' 2>/dev/null |
	       awk -v c="$codename" '$2 == c {print $1; exit}')
	[ -n "$site" ] ||
		die "no Debian archive for '${codename:-?}' in the system's apt sources; set DEBIAN_MIRROR to a Debian mirror's URL"
	echo "${site%/}"
}

# apt with a private state under $CACHE_DIR/apt: the system's sources lists
# and package lists are never touched.  Binary packages come from BASE's
# suites, source packages from sid.  A caller may set APT to another state
# directory, APT_SUITES to other suites and APT_ARCH to another
# architecture's packages (for download and dpkg-deb -x, never install).
APT=$CACHE_DIR/apt
apt_opts() {
	echo "-o Dir::Etc::sourcelist=$APT/sources.list -o Dir::Etc::sourceparts=/dev/null" \
	     "-o Dir::State::Lists=$APT/lists -o Dir::State::status=/dev/null" \
	     "-o Dir::Cache=$APT/cache -o Debug::NoLocking=1 -o APT::Sandbox::User=root" \
	     "${APT_ARCH:+-o APT::Architecture=$APT_ARCH -o APT::Architectures=$APT_ARCH}"
}

apt_private() {
	# shellcheck disable=SC2046
	apt-get -q $(apt_opts) "$@"
}

# The lists are fetched again only when the sources change or are a day
# old, so that a second caller (tools/check-errors.sh's) costs nothing.
apt_private_update() {
	local suite mirror key=/usr/share/keyrings/debian-archive-keyring.gpg
	load_base
	mirror=$(debian_mirror) || exit
	mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial"
	{
		for suite in ${APT_SUITES:-$SUITES}; do
			echo "deb [signed-by=$key] $mirror $suite main"
		done
		[ -n "${APT_SUITES:-}" ] || echo "deb-src [signed-by=$key] $mirror sid main"
	} > "$APT/sources.list.new"
	if cmp -s "$APT/sources.list.new" "$APT/sources.list" &&
	   [ -n "$(find "$APT/updated" -mmin -1440 2>/dev/null)" ]; then
		rm "$APT/sources.list.new"
		return
	fi
	mv "$APT/sources.list.new" "$APT/sources.list"
	rm -f "$APT/updated"
	apt_private update > "$APT/update.log" 2>&1 ||
		die "apt-get update failed for ${APT_SUITES:-$SUITES} (see $APT/update.log)"
	touch "$APT/updated"
}

# The sparse to pass as CHECK=: tools/deps.sh's build when it made one.
sparse_bin() {
	if [ -x "$CACHE_DIR/sparse/sparse" ]; then
		echo "$CACHE_DIR/sparse/sparse"
	else
		echo sparse
	fi
}
