#!/usr/bin/env bash
# make lava-check: one scenario per arch run as a LAVA job on this machine,
# through lava-run (Debian's lava-dispatcher), with QEMU as the device; each
# KUnit case's result must be the one make run gets from the same kernel
# (tools/lava-run.py compares them).  Not part of make test: lava-dispatcher
# brings about 280 Debian packages (grub, systemd's tools, ...) onto the
# machine, and the CI budget goes to the boots of make test itself.
#
# LAVA_SCENARIOS (comma-separated) chooses other scenarios.  Installs
# lava-dispatcher as root (otherwise prints the line to run) and unpacks
# lava-server's package of the same version into $CACHE_DIR for its
# device-type templates, without installing the server (Django,
# PostgreSQL).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

scenarios=${LAVA_SCENARIOS:-x86_64-intel-iommu-strict,arm64-smmuv3-strict}
if ! command -v lava-run > /dev/null; then
	[ "$(id -u)" = 0 ] || die "lava-dispatcher is missing; run: sudo apt-get install lava-dispatcher"
	note "installing lava-dispatcher"
	mkdir -p "$BUILD"
	{ apt-get update -q && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends lava-dispatcher; } \
		> "$BUILD/lava-install.log" 2>&1 ||
		die "apt-get install lava-dispatcher failed (log: build/lava-install.log)"
fi
version=$(dpkg-query -W -f='${Version}' lava-dispatcher)
templates=$CACHE_DIR/lava-server-$version/usr/share/lava-server/device-types
if [ ! -f "$templates/qemu.jinja2" ]; then
	note "unpacking lava-server $version's device-type templates"
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && apt-get download -q "lava-server=$version") > "$tmp/log" 2>&1 ||
		die "cannot download lava-server $version: $(tail -n 1 "$tmp/log")"
	dpkg-deb -x "$tmp"/lava-server_*.deb "$CACHE_DIR/lava-server-$version"
fi
note "make run's results for $scenarios"
"$TOP/tools/run-scenarios.py" --scenario "$scenarios" \
	--results "$BUILD/lava-check/make-run" || true
/usr/bin/python3 "$TOP/tools/lava.py" --scenario "$scenarios"
note "the same scenarios through lava-run"
exec /usr/bin/python3 "$TOP/tools/lava-run.py" "$scenarios" --templates "$templates"
