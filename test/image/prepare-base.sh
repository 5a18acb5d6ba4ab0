#!/bin/bash
# Make a stand-in for pi-gen's stage2 (Raspberry Pi OS Lite) root for the image test:
# a Debian trixie minbase root from debootstrap, plus what the Lite stages leave that
# stage-handcarry relies on (first user with UID 1000, gpio group, /boot/firmware files).
#   prepare-base.sh CACHE_DIR OUT_ROOT [ARCH]
# ARCH is a Debian architecture (default: this machine's); a foreign one (arm64 on an
# x86-64 host) runs its programs through qemu-user, which binfmt_misc must have
# registered with the F flag (Debian's qemu-user-static does), so that it works in a chroot.
# The debootstrap result is cached in CACHE_DIR as a tarball keyed by architecture and
# UTC date: the same day reuses it (trixie main only changes at point releases), and
# that architecture's older tarballs are deleted. The mirror is the Debian one apt here
# already uses.
set -euo pipefail
[ $# -eq 2 ] || [ $# -eq 3 ] || { echo "usage: $0 CACHE_DIR OUT_ROOT [ARCH]" >&2; exit 2; }
CACHE_DIR="$1"
OUT_ROOT="$2"
ARCH="${3:-$(dpkg --print-architecture)}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# The first Debian archive URI in apt's sources (deb822 "URIs:" or one-line "deb").
debian_mirror() {
	local uri
	uri="$( (cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null || true) |
		sed -n -e 's/^URIs:[[:space:]]*//p' -e 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]\+\).*/\2/p' |
		tr ' ' '\n' | grep -E '^https?://[^[:space:]]+/debian/?$' | head -n 1 || true)"
	echo "${uri:-http://deb.debian.org/debian}"
}

KEY="trixie-${ARCH}-minbase-v1-$(date -u +%Y%m%d)"
TARBALL="${CACHE_DIR}/${KEY}.tar"
mkdir -p "${CACHE_DIR}"
if [ ! -f "${TARBALL}" ]; then
	# This architecture's older days' tarballs, and its work dirs of interrupted runs
	# (debootstrap ran in a private mount namespace, so nothing is mounted below them).
	find "${CACHE_DIR}" -maxdepth 1 -name "trixie-${ARCH}-*.tar*" -delete
	find "${CACHE_DIR}" -maxdepth 1 -name "debootstrap-${ARCH}.*" -type d -exec rm -rf {} +
	WORK="$(mktemp -d "${CACHE_DIR}/debootstrap-${ARCH}.XXXXXX")"
	trap 'rm -rf "${WORK}"' EXIT
	MIRROR="$(debian_mirror)"
	echo "prepare-base: debootstrap trixie ${ARCH} from ${MIRROR}"
	unshare --mount --propagation private -- \
		debootstrap --arch="${ARCH}" --variant=minbase --include=systemd-sysv,ca-certificates \
		trixie "${WORK}/root" "${MIRROR}" >"${WORK}/debootstrap.out" 2>&1 ||
		{ tail -n 30 "${WORK}/debootstrap.out" >&2; exit 1; }
	tar -C "${WORK}/root" --numeric-owner -cf "${WORK}/root.tar" .
	mv "${WORK}/root.tar" "${TARBALL}"
	rm -rf "${WORK}"
	trap - EXIT
fi

mkdir -p "${OUT_ROOT}"
tar -C "${OUT_ROOT}" --numeric-owner -xpf "${TARBALL}"
cp /etc/resolv.conf "${OUT_ROOT}/etc/resolv.conf"
# Test-only speed-up: dpkg without fsync (this root is thrown away after the test).
echo force-unsafe-io >"${OUT_ROOT}/etc/dpkg/dpkg.cfg.d/handcarry-test-unsafe-io"

# What Raspberry Pi OS Lite (pi-gen stages 0-2) provides and stage-handcarry expects.
chroot "${OUT_ROOT}" /bin/bash -e <<-'LITE'
	getent group gpio >/dev/null || groupadd --system gpio
	getent passwd pi >/dev/null || useradd --create-home --uid 1000 --shell /bin/bash --groups gpio pi
	echo 'pi:raspberry' | chpasswd
LITE
mkdir -p "${OUT_ROOT}/boot/firmware"
# pi-gen's stage1 fstab; export-image later puts the partitions' PARTUUIDs in.
printf '%s\n' 'proc            /proc           proc    defaults          0       0' \
	'BOOTDEV  /boot/firmware  vfat    defaults          0       2' \
	'ROOTDEV  /               ext4    defaults,noatime  0       1' >"${OUT_ROOT}/etc/fstab"
cp "${HERE}/fixtures/config.txt" "${HERE}/fixtures/cmdline.txt" "${OUT_ROOT}/boot/firmware/"

# Fresh package lists, as pi-gen's stage0 does.
"${HERE}/in-root.sh" "${OUT_ROOT}" apt-get -qq update
