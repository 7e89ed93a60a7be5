#!/usr/bin/env bash
# Install what the harness needs from Debian: with apt-get when root,
# otherwise print the apt-get line and fail.  coccicheck runs every script
# of scripts/coccinelle; the OCaml-scripted ones (check_bq27xxx_data.cocci,
# badzero.cocci) make spatch compile their OCaml with ocamlfind and
# ocamlopt, and the Python-scripted ones need python3, which Debian's
# coccinelle already depends on.  sparse must parse 7.3's headers
# (__typeof_unqual__), which bookworm's 0.6.4 cannot; when the installed one
# fails that test, build 0.6.5~rc1 from Debian sid's source package into
# $CACHE_DIR (tools/sparse-path.sh prints which sparse to use).  Xen's
# hypervisor (a 2 MB package with no dependencies, into /boot) is for the
# scenarios that boot the kernel as Xen's dom0; arm64's is another
# architecture's package, so it is downloaded with a private apt state and
# unpacked into $CACHE_DIR/xen-arm64, and the device tree it boots from is
# edited with fdtput.  lava-common (and the python3-voluptuous it brings)
# holds LAVA's job schema, which checks the jobs of tools/lava.py.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# command or file -> Debian package
needs=(
	gcc:gcc make:make flex:flex bison:bison bc:bc perl:perl git:git
	rsync:rsync cpio:cpio xz:xz-utils dpkg-deb:dpkg ccache:ccache
	aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu
	/usr/lib/x86_64-linux-gnu/libc.a:libc6-dev
	/usr/aarch64-linux-gnu/lib/libc.a:libc6-dev-arm64-cross
	powerpc64le-linux-gnu-gcc:gcc-powerpc64le-linux-gnu
	qemu-system-x86_64:qemu-system-x86 qemu-system-aarch64:qemu-system-arm
	qemu-system-ppc64:qemu-system-ppc
	/usr/share/qemu/qboot.rom:qemu-system-data spatch:coccinelle
	ocamlfind:ocaml-findlib ocamlopt:ocaml-nox
	/usr/include/libelf.h:libelf-dev /usr/include/openssl/ssl.h:libssl-dev
	/usr/share/keyrings/debian-archive-keyring.gpg:debian-archive-keyring
	/usr/lib/python3/dist-packages/ply/__init__.py:python3-ply
	/usr/lib/python3/dist-packages/git/__init__.py:python3-git
	/boot/xen-4.17-amd64.gz:xen-hypervisor-4.17-amd64
	fdtput:device-tree-compiler
	/usr/lib/python3/dist-packages/lava_common/schemas/__init__.py:lava-common
)
# DEPS_EXTRA: more "command-or-file:package" pairs, for tools/check-errors.sh
# to try a package that cannot be installed.
# shellcheck disable=SC2206
needs+=(${DEPS_EXTRA:-})
missing=()
for n in "${needs[@]}"; do
	what=${n%%:*}
	if [[ $what == /* ]]; then
		[ -e "$what" ] || missing+=("${n#*:}")
	else
		command -v "$what" > /dev/null || missing+=("${n#*:}")
	fi
done
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		die "missing packages; run: sudo apt-get install ${missing[*]}"
	fi
	note "installing ${missing[*]}"
	mkdir -p "$BUILD"
	{ apt-get update -q && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends "${missing[@]}"; } \
		> "$BUILD/apt-install.log" 2>&1 ||
		die "apt-get install ${missing[*]} failed (log: $BUILD/apt-install.log)"
fi
python3 -c 'import tomllib' 2> /dev/null ||
	die "python3 3.11 or later is needed (tomllib)"

# Xen for arm64, from the suite that has 4.17 (the amd64 package's version).
xen_arm64=$CACHE_DIR/xen-arm64/boot/xen-4.17-arm64
if [ ! -f "$xen_arm64" ]; then
	note "downloading xen-hypervisor-4.17-arm64"
	mkdir -p "$BUILD"
	(
		APT=$CACHE_DIR/apt-arm64 APT_SUITES=bookworm APT_ARCH=arm64
		apt_private_update
		cd "$APT/cache" && rm -f xen-hypervisor-*.deb &&
			apt_private download xen-hypervisor-4.17-arm64 &&
			dpkg-deb -x xen-hypervisor-4.17-arm64_*.deb "$CACHE_DIR/xen-arm64"
	) > "$BUILD/xen-arm64.log" 2>&1 ||
		die "could not fetch xen-hypervisor-4.17-arm64 (log: build/xen-arm64.log)"
	[ -f "$xen_arm64" ] || die "xen-hypervisor-4.17-arm64 has no ${xen_arm64#"$CACHE_DIR"/xen-arm64}"
fi

# sparse: the installed one if it parses 7.3's headers, else our build.
sparse_ok() {
	local out
	out=$(printf 'int x;\n__typeof_unqual__(x) y;\n' |
	      "$1" -Wno-decl - 2>&1) && ! grep -q 'error' <<< "$out"
}
sparse_dir=$CACHE_DIR/sparse
if command -v sparse > /dev/null && sparse_ok sparse; then
	exit 0
fi
[ -x "$sparse_dir/sparse" ] && sparse_ok "$sparse_dir/sparse" && exit 0
note "building sparse from Debian sid's source package"
mkdir -p "$BUILD"
apt_private_update
src=$(mktemp -d)
trap 'rm -rf "$src"' EXIT
(cd "$src" && apt_private source --download-only sparse) \
	> "$BUILD/sparse-build.log" 2>&1 ||
	die "could not download sparse's source from sid (log: build/sparse-build.log)"
tar -xzf "$src"/sparse_*.orig.tar.gz -C "$src"
make -C "$src"/sparse-*/ -j"$JOBS" sparse >> "$BUILD/sparse-build.log" 2>&1 ||
	die "sparse build failed (log: build/sparse-build.log)"
rm -rf "$sparse_dir"
mkdir -p "$sparse_dir"
cp "$src"/sparse-*/sparse "$sparse_dir/"
sparse_ok "$sparse_dir/sparse" || die "the sparse built from sid cannot parse __typeof_unqual__"
note "sparse: $sparse_dir/sparse"
