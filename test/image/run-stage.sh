#!/bin/bash
# Run an assembled stage-handcarry against a root filesystem the way pi-gen would.
#   run-stage.sh CONFIG PREV_ROOTFS STAGE_DIR WORK_DIR
# CONFIG is a pi-gen config (sourced like pi-gen's build.sh does); PREV_ROOTFS plays
# the previous stage (stage2); the stage's root ends up in WORK_DIR/rootfs. Re-running
# with the same WORK_DIR re-runs the stage on the existing root, like pi-gen's
# CONTINUE=1. Re-executes itself in a private mount namespace so no mount outlives it.
set -euo pipefail

if [ -z "${HANDCARRY_IN_MOUNT_NS:-}" ]; then
	export HANDCARRY_IN_MOUNT_NS=1
	exec unshare --mount --propagation private -- "$0" "$@"
fi
[ $# -eq 4 ] || { echo "usage: $0 CONFIG PREV_ROOTFS STAGE_DIR WORK_DIR" >&2; exit 2; }

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=pigen-shim.sh
source "${HERE}/pigen-shim.sh"

CONFIG_FILE="$(realpath "$1")"
# shellcheck disable=SC1090
source "${CONFIG_FILE}"

# Keep the caller's npm/node/vitest settings (npm test sets npm_config_*) out of the root.
for name in $(compgen -e); do
	case "${name}" in npm_* | NODE_* | VITEST* | INIT_CWD) unset "${name}" ;; esac
done
# What pi-gen's build.sh exports for stage scripts.
export DEBIAN_FRONTEND=noninteractive
export PREV_ROOTFS_DIR STAGE_DIR STAGE_WORK_DIR ROOTFS_DIR
PREV_ROOTFS_DIR="$(realpath "$2")"
STAGE_DIR="$(realpath "$3")"
STAGE_WORK_DIR="$(realpath -m "$4")"
ROOTFS_DIR="${STAGE_WORK_DIR}/rootfs"
export IMG_NAME RELEASE TARGET_HOSTNAME WPA_COUNTRY ENABLE_SSH ENABLE_CLOUD_INIT
export FIRST_USER_NAME="${FIRST_USER_NAME:-pi}" FIRST_USER_PASS DISABLE_FIRST_BOOT_USER_RENAME
export -f copy_previous on_chroot
if [ -n "${HANDCARRY_TEST_CA_BUNDLE:-}" ]; then
	export NODE_EXTRA_CA_CERTS=/run/handcarry-test-ca.pem
else
	unset NODE_EXTRA_CA_CERTS
fi

trap 'unmount_below "${STAGE_WORK_DIR}"' EXIT
run_stage
