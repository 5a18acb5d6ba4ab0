#!/bin/bash
# Run one command inside a root filesystem with /proc, /dev, /dev/pts and /sys mounted
# (as pi-gen's on_chroot does), in a private mount namespace so that no mount outlives
# the command, whatever happens to it.
#   in-root.sh ROOT COMMAND [ARG...]
set -euo pipefail
if [ -z "${HANDCARRY_IN_MOUNT_NS:-}" ]; then
	export HANDCARRY_IN_MOUNT_NS=1
	exec unshare --mount --propagation private -- "$0" "$@"
fi
[ $# -ge 2 ] || { echo "usage: $0 ROOT COMMAND [ARG...]" >&2; exit 2; }
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=pigen-shim.sh
source "${HERE}/pigen-shim.sh"
# Keep the caller's npm/node/vitest settings (npm test sets npm_config_*) out of the root.
for name in $(compgen -e); do
	case "${name}" in npm_* | NODE_* | VITEST* | INIT_CWD) unset "${name}" ;; esac
done
ROOTFS_DIR="$(realpath "$1")"
shift
unset HANDCARRY_IN_MOUNT_NS
trap 'unmount_below "${ROOTFS_DIR}"' EXIT
mount_chroot_fs "${ROOTFS_DIR}"
chroot "${ROOTFS_DIR}" "$@"
