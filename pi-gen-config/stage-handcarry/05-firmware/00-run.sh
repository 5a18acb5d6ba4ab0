#!/bin/bash -e
# Firmware settings from the repository's firmware/ folder (copied to files/ by
# ../assemble-stage.sh). config.txt: our block sits between marker lines and is
# replaced, never duplicated, on re-runs. cmdline.txt: each token is set once.
BOOT_DIR="${ROOTFS_DIR}/boot/firmware"
CONFIG_TXT="${BOOT_DIR}/config.txt"
CMDLINE_TXT="${BOOT_DIR}/cmdline.txt"
BEGIN_MARK="# >>> handcarry (firmware/config.txt) >>>"
END_MARK="# <<< handcarry <<<"

for file in "${CONFIG_TXT}" "${CMDLINE_TXT}"; do
	if [ ! -f "${file}" ]; then
		echo "05-firmware: ${file} is missing; pi-gen's earlier stages create it" >&2
		exit 1
	fi
done
if [ -z "${WPA_COUNTRY:-}" ]; then
	echo "05-firmware: WPA_COUNTRY is not set (needed for the Wi-Fi regulatory domain)" >&2
	exit 1
fi

# config.txt: drop a previous handcarry block (and trailing blank lines, so re-runs
# do not pile them up), then append the current block.
tmp="$(mktemp)"
awk -v begin="${BEGIN_MARK}" -v end="${END_MARK}" '
	$0 == begin { skipping = 1; next }
	skipping { if ($0 == end) skipping = 0; next }
	/^[[:space:]]*$/ { blanks = blanks $0 "\n"; next }
	{ printf "%s", blanks; blanks = ""; print }
' "${CONFIG_TXT}" >"${tmp}"
{
	echo
	echo "${BEGIN_MARK}"
	cat files/config.txt
	echo "${END_MARK}"
} >>"${tmp}"
cat "${tmp}" >"${CONFIG_TXT}"
rm -f "${tmp}"

# cmdline.txt: one line; a token whose key is present is replaced in place.
read -r -a tokens <"${CMDLINE_TXT}"
while read -r wanted; do
	wanted="${wanted//@WPA_COUNTRY@/${WPA_COUNTRY}}"
	key="${wanted%%=*}"
	found=0
	for i in "${!tokens[@]}"; do
		if [ "${tokens[$i]%%=*}" = "${key}" ]; then
			if [ "${found}" = 1 ]; then unset "tokens[$i]"; else tokens[i]="${wanted}"; found=1; fi
		fi
	done
	if [ "${found}" = 0 ]; then tokens+=("${wanted}"); fi
done < <(grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' files/cmdline.txt)
echo "${tokens[*]}" >"${CMDLINE_TXT}"

# fstab: the boot partition readable by root only on the running Pi (FAT has no owners,
# the mount options decide): handcarry.txt holds the passwords. pi-gen's stage1 writes the
# line; fmask/dmask are added once.
FSTAB="${ROOTFS_DIR}/etc/fstab"
if [ -f "${FSTAB}" ] && ! grep -Eq '^[^#]*[[:space:]]/boot/firmware[[:space:]].*fmask=' "${FSTAB}"; then
	sed -i -E 's#^([^#[:space:]]+[[:space:]]+/boot/firmware[[:space:]]+vfat[[:space:]]+)([^[:space:]]+)#\1\2,fmask=0077,dmask=0077#' "${FSTAB}"
fi
