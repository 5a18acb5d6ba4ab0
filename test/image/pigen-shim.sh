# shellcheck shell=bash
# shellcheck disable=SC2119,SC2120 # on_chroot takes a script on stdin, like pi-gen's
# A small stand-in for pi-gen's build machinery (scripts/common and build.sh's
# run_stage/run_sub_stage), so the image test runs stage-handcarry the way pi-gen does:
#   - prerun.sh and NN-run.sh run on the host, from their own directory, only if executable;
#   - NN-packages-nr / NN-packages are apt-get installed inside the root;
#   - NN-run-chroot.sh is fed on stdin to "bash -e" inside the root (on_chroot), with
#     /proc, /dev, /dev/pts and /sys mounted.
# Sourced by run-stage.sh and in-root.sh. Run inside "unshare --mount" so every mount
# disappears with the process even if it is killed.

log() {
	echo "[$(date +%T)] $*"
}
export -f log

# Mount what a chroot needs, once; mirrors pi-gen's on_chroot.
mount_chroot_fs() {
	local root="$1"
	mountpoint -q "${root}/proc" || mount -t proc proc "${root}/proc"
	mountpoint -q "${root}/dev" || mount --bind /dev "${root}/dev"
	mountpoint -q "${root}/dev/pts" || mount --bind /dev/pts "${root}/dev/pts"
	mountpoint -q "${root}/sys" || mount --bind /sys "${root}/sys"
	# Test-only: a build host behind a TLS-inspecting proxy trusts an extra CA; let
	# node/npm inside the root trust it too (run-stage.sh sets NODE_EXTRA_CA_CERTS).
	if [ -n "${HANDCARRY_TEST_CA_BUNDLE:-}" ] && ! mountpoint -q "${root}/run/handcarry-test-ca.pem"; then
		mkdir -p "${root}/run"
		touch "${root}/run/handcarry-test-ca.pem"
		mount --bind -o ro "${HANDCARRY_TEST_CA_BUNDLE}" "${root}/run/handcarry-test-ca.pem"
	fi
	# Test-only speed-up: a persistent apt archive cache. pi-gen has APT_PROXY instead.
	if [ -n "${HANDCARRY_TEST_APT_CACHE:-}" ] && ! mountpoint -q "${root}/var/cache/apt/archives"; then
		mkdir -p "${HANDCARRY_TEST_APT_CACHE}/partial" "${root}/var/cache/apt/archives"
		mount --bind "${HANDCARRY_TEST_APT_CACHE}" "${root}/var/cache/apt/archives"
	fi
}
export -f mount_chroot_fs

on_chroot() {
	mount_chroot_fs "${ROOTFS_DIR}"
	if command -v capsh >/dev/null; then
		capsh --drop=cap_setfcap "--chroot=${ROOTFS_DIR}/" -- -e "$@"
	else
		chroot "${ROOTFS_DIR}/" /bin/bash -e "$@"
	fi
}
export -f on_chroot

copy_previous() {
	if [ ! -d "${PREV_ROOTFS_DIR}" ]; then
		echo "Previous stage rootfs not found"
		false
	fi
	mkdir -p "${ROOTFS_DIR}"
	rsync -aHAXx --exclude var/cache/apt/archives "${PREV_ROOTFS_DIR}/" "${ROOTFS_DIR}/"
}
export -f copy_previous

# Unmount everything below a directory, deepest first.
unmount_below() {
	local dir mounts
	dir="$(realpath "$1")"
	mounts="$(awk -v d="${dir}/" 'index($2 "/", d) == 1 { print $2 }' /proc/self/mounts | sort -r)"
	for m in ${mounts}; do
		umount -l "${m}" || true
	done
}
export -f unmount_below

# Packages from a pi-gen package list: comments and blank lines dropped.
package_list() {
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$1" | tr '\n' ' '
}

run_sub_stage() {
	log "Begin ${SUB_STAGE_DIR}"
	pushd "${SUB_STAGE_DIR}" >/dev/null || return 1
	local i packages
	for i in {00..99}; do
		if [ -f "${i}-debconf" ]; then
			on_chroot <<-EOF
				debconf-set-selections <<SELEOF
				$(cat "${i}-debconf")
				SELEOF
			EOF
		fi
		if [ -f "${i}-packages-nr" ]; then
			packages="$(package_list "${i}-packages-nr")"
			if [ -n "${packages}" ]; then
				on_chroot <<-EOF
					apt-get -o Acquire::Retries=3 install --no-install-recommends -y ${packages}
				EOF
			fi
		fi
		if [ -f "${i}-packages" ]; then
			packages="$(package_list "${i}-packages")"
			if [ -n "${packages}" ]; then
				on_chroot <<-EOF
					apt-get -o Acquire::Retries=3 install -y ${packages}
				EOF
			fi
		fi
		if [ -d "${i}-patches" ]; then
			echo "pigen-shim: quilt patches (${SUB_STAGE_DIR}/${i}-patches) are not supported" >&2
			return 1
		fi
		if [ -x "${i}-run.sh" ]; then
			log "Begin ${SUB_STAGE_DIR}/${i}-run.sh"
			"./${i}-run.sh"
		fi
		if [ -f "${i}-run-chroot.sh" ]; then
			log "Begin ${SUB_STAGE_DIR}/${i}-run-chroot.sh"
			on_chroot <"${i}-run-chroot.sh"
		fi
	done
	popd >/dev/null || return 1
	log "End ${SUB_STAGE_DIR}"
}

run_stage() {
	log "Begin ${STAGE_DIR}"
	pushd "${STAGE_DIR}" >/dev/null || return 1
	mkdir -p "${STAGE_WORK_DIR}"
	if [ -x prerun.sh ]; then
		log "Begin ${STAGE_DIR}/prerun.sh"
		./prerun.sh
	fi
	for SUB_STAGE_DIR in "${STAGE_DIR}"/*; do
		if [ -d "${SUB_STAGE_DIR}" ] && [ ! -f "${SUB_STAGE_DIR}/SKIP" ]; then
			run_sub_stage
		fi
	done
	popd >/dev/null || return 1
	unmount_below "${ROOTFS_DIR}"
	log "End ${STAGE_DIR}"
}
