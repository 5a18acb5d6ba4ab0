#!/bin/bash -e
# Units, the per-device setup script, journald in RAM, and the agent's settings file.
# files/ is filled by ../assemble-stage.sh from the repository's systemd/ folder.
# Settings from the build config, checked before anything is installed.
if [ -n "${HANDCARRY_MASTER:-}" ] && ! [[ "${HANDCARRY_MASTER}" =~ ^https?://[^[:space:]\"\'\\]+$ ]]; then
	echo "03-system: HANDCARRY_MASTER must be an http(s) URL without spaces, quotes or backslashes, got '${HANDCARRY_MASTER}'" >&2
	exit 1
fi
if [ -n "${HANDCARRY_WIFI_CONCURRENT:-}" ] && ! [[ "${HANDCARRY_WIFI_CONCURRENT}" =~ ^[01]$ ]]; then
	echo "03-system: HANDCARRY_WIFI_CONCURRENT must be 0 or 1, got '${HANDCARRY_WIFI_CONCURRENT}'" >&2
	exit 1
fi

UNIT_DIR="${ROOTFS_DIR}/usr/local/lib/systemd/system"
install -d -m 755 "${UNIT_DIR}"
install -m 644 files/handcarry-agent.service "${UNIT_DIR}/handcarry-agent.service"
install -m 644 files/handcarry-setup.service "${UNIT_DIR}/handcarry-setup.service"
install -m 644 files/handcarry-wifi-interfaces.service "${UNIT_DIR}/handcarry-wifi-interfaces.service"
install -m 644 files/var-lib-NetworkManager.mount "${UNIT_DIR}/var-lib-NetworkManager.mount"
install -D -m 644 files/60-handcarry-leds.rules "${ROOTFS_DIR}/etc/udev/rules.d/60-handcarry-leds.rules"
install -D -m 755 files/handcarry-setup "${ROOTFS_DIR}/usr/local/sbin/handcarry-setup"
install -D -m 755 files/handcarry-wifi-interfaces "${ROOTFS_DIR}/usr/local/sbin/handcarry-wifi-interfaces"
install -D -m 644 files/journald-volatile.conf \
	"${ROOTFS_DIR}/etc/systemd/journald.conf.d/50-handcarry-volatile.conf"

# /etc/handcarry/agent.env: environment of handcarry-agent.service (and of
# handcarry-wifi-interfaces.service). Created once; settings given in the build config
# replace their line on every run.
AGENT_ENV="${ROOTFS_DIR}/etc/handcarry/agent.env"
install -d -m 750 "${ROOTFS_DIR}/etc/handcarry"
if [ ! -f "${AGENT_ENV}" ]; then
	cat >"${AGENT_ENV}" <<-'ENV'
		# handcarry agent settings (KEY=value, no quotes needed). After editing:
		#   sudo systemctl restart handcarry-agent
		# HANDCARRY_MASTER: URL of the master to sync from, e.g. https://courses.example.org
		# HANDCARRY_ADMIN_PASSWORD: generated at first boot, see /boot/firmware/handcarry.txt
		# HANDCARRY_WIFI_CONCURRENT=1: hotspot on uap0 beside the uplink on wlan0 when
		#   the radio allows it (takes effect at the next boot)
		HANDCARRY_MASTER=
		HANDCARRY_WIFI_CONCURRENT=0
	ENV
fi
for name in HANDCARRY_MASTER HANDCARRY_WIFI_CONCURRENT; do
	if [ -n "${!name:-}" ]; then
		sed -i "/^${name}=/d" "${AGENT_ENV}"
		printf '%s=%s\n' "${name}" "${!name}" >>"${AGENT_ENV}"
	fi
done
chmod 640 "${AGENT_ENV}"

# /etc/handcarry/config.json: the agent's settings for this hardware (pins matching
# firmware/config.txt). Installed once; later edits on the device are kept.
if [ ! -f "${ROOTFS_DIR}/etc/handcarry/config.json" ]; then
	install -m 640 files/config.json "${ROOTFS_DIR}/etc/handcarry/config.json"
fi
