#!/bin/bash
# Turn a root with stage-handcarry installed into one that boots under qemu (the boot
# test's stand-in for the Pi): Debian's kernel, mac80211_hwsim with two radios (the
# hotspot's and the phone's), the boot partition in fstab the way pi-gen writes it, the
# test probe, and a machine id left empty so the first boot makes one (as pi-gen's export
# does). Then the disks: an ext4 root from the tree (mkfs.ext4 -d) and a FAT boot
# partition (mkfs.vfat + mcopy), no loop devices needed.
#   prepare-boot-root.sh ROOT OUT_DIR [ARCH]
#   prepare-boot-root.sh --packages-only ROOT [ARCH]
# ARCH is the root's Debian architecture (default: this machine's); it gets
# linux-image-ARCH. --packages-only installs the packages and stops: the root is then what
# the boot test caches (nothing test-only written into it yet).
set -euo pipefail
PACKAGES_ONLY=0
if [ "${1:-}" = --packages-only ]; then
	PACKAGES_ONLY=1
	shift
	case $# in 1 | 2) ;; *) echo "usage: $0 --packages-only ROOT [ARCH]" >&2; exit 2 ;; esac
	set -- "$1" "" "${2:-}"
fi
case $# in 2 | 3) ;; *) echo "usage: $0 ROOT OUT_DIR [ARCH]" >&2; exit 2 ;; esac
ROOT="$(realpath "$1")"
OUT="$2"
ARCH="${3:-$(dpkg --print-architecture)}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# Kernel and what the probe and the phone need (wpa_supplicant and iw come with the stage).
"${HERE}/../in-root.sh" "${ROOT}" /bin/bash -e -s "linux-image-${ARCH}" <<-'IN_ROOT'
	export DEBIAN_FRONTEND=noninteractive
	apt-get -o Acquire::Retries=3 install -y -qq --no-install-recommends \
		"$1" initramfs-tools busybox curl jq kmod udev wireless-regdb iproute2 >/dev/null
IN_ROOT
[ "${PACKAGES_ONLY}" = 0 ] || exit 0
mkdir -p "${OUT}"

install -D -m 755 "${HERE}/guest/handcarry-boot-probe" "${ROOT}/usr/local/sbin/handcarry-boot-probe"
install -D -m 644 "${HERE}/guest/handcarry-boot-probe.service" \
	"${ROOT}/etc/systemd/system/handcarry-boot-probe.service"
ln -sf /etc/systemd/system/handcarry-boot-probe.service \
	"${ROOT}/etc/systemd/system/multi-user.target.wants/handcarry-boot-probe.service"
# The setup units' 60 s limits are for a Pi; under TCG on a loaded machine everything is
# tens of times slower, so the test gives them longer (the limit itself is checked in lint).
for unit in handcarry-setup handcarry-wifi-interfaces; do
	install -d "${ROOT}/etc/systemd/system/${unit}.service.d"
	printf '[Service]\nTimeoutStartSec=15min\n' >"${ROOT}/etc/systemd/system/${unit}.service.d/boot-test.conf"
done
# Two radios; the probe loads the module once the boot is over (under TCG an early load can
# be interrupted by a start-up timeout, which leaves cfg80211 half-initialised and panics).
echo 'options mac80211_hwsim radios=2' >"${ROOT}/etc/modprobe.d/handcarry-boot-test.conf"
rm -f "${ROOT}/etc/modules-load.d/handcarry-boot-test.conf"
# What pi-gen's export-image does to fstab, with the two virtio disks for partitions.
sed -i -e 's#^BOOTDEV #/dev/vdb #' -e 's#^ROOTDEV #/dev/vda #' "${ROOT}/etc/fstab"
echo handcarry >"${ROOT}/etc/hostname"
: >"${ROOT}/etc/machine-id"
# NetworkManager writes resolv.conf itself.
rm -f "${ROOT}/var/lib/dbus/machine-id" "${ROOT}/etc/resolv.conf"
rm -f "${ROOT}/etc/dpkg/dpkg.cfg.d/handcarry-test-unsafe-io"

# The one kernel the root has (linux-image-ARCH installs one), booted directly by qemu.
kernels=("${ROOT}"/boot/vmlinuz-*)
initrds=("${ROOT}"/boot/initrd.img-*)
cp "${kernels[-1]}" "${OUT}/vmlinuz"
cp "${initrds[-1]}" "${OUT}/initrd.img"

# The boot partition: whatever the stage put in /boot/firmware.
rm -f "${OUT}/boot.img"
mkfs.vfat -C -n BOOTFS "${OUT}/boot.img" 65536 >/dev/null
mcopy -s -i "${OUT}/boot.img" "${ROOT}"/boot/firmware/* ::/
# The root, 3 GiB sparse; the tree without its boot partition contents.
rm -f "${OUT}/root.img"
truncate -s 3G "${OUT}/root.img"
mkfs.ext4 -q -F -L rootfs -d "${ROOT}" "${OUT}/root.img"
echo "prepare-boot-root: disks in ${OUT}"
