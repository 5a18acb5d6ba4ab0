#!/bin/bash -e
# NetworkManager profiles, written with "nmcli --offline" inside the image (no daemon
# needed). The hotspot gets a placeholder SSID and a random password here;
# handcarry-setup replaces both with per-device values at first boot.
CHANNEL="${HANDCARRY_HOTSPOT_CHANNEL:-6}"
if ! [[ "${CHANNEL}" =~ ^([1-9]|1[0-3])$ ]]; then
	echo "04-hotspot: HANDCARRY_HOTSPOT_CHANNEL must be a 2.4 GHz channel 1-13, got '${CHANNEL}'" >&2
	exit 1
fi
if [ -n "${HANDCARRY_UPLINK_SSID:-}" ] && [ -n "${HANDCARRY_UPLINK_PSK:-}" ] &&
	{ [ "${#HANDCARRY_UPLINK_PSK}" -lt 8 ] || [ "${#HANDCARRY_UPLINK_PSK}" -gt 63 ]; }; then
	echo "04-hotspot: HANDCARRY_UPLINK_PSK must be 8 to 63 characters" >&2
	exit 1
fi
PLACEHOLDER_PSK="$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 20)"

# Variables are expanded here, on the build host; the chroot gets literal values.
on_chroot <<EOF_CHROOT
set -e
dir=/etc/NetworkManager/system-connections
install -d -m 700 "\${dir}"
if [ ! -f "\${dir}/handcarry-hotspot.nmconnection" ]; then
	nmcli --offline connection add type wifi con-name handcarry-hotspot \
		ifname wlan0 ssid handcarry-setup \
		802-11-wireless.mode ap 802-11-wireless.band bg 802-11-wireless.channel "${CHANNEL}" \
		802-11-wireless-security.key-mgmt wpa-psk 802-11-wireless-security.proto rsn \
		802-11-wireless-security.pairwise ccmp 802-11-wireless-security.group ccmp \
		802-11-wireless-security.psk "${PLACEHOLDER_PSK}" \
		ipv4.method shared ipv4.addresses 10.42.0.1/24 ipv4.shared-dhcp-lease-time 3600 \
		ipv6.method disabled \
		connection.autoconnect yes connection.autoconnect-priority 0 \
		>"\${dir}/handcarry-hotspot.nmconnection.tmp"
	chmod 600 "\${dir}/handcarry-hotspot.nmconnection.tmp"
	mv "\${dir}/handcarry-hotspot.nmconnection.tmp" "\${dir}/handcarry-hotspot.nmconnection"
fi
EOF_CHROOT

# The known network for syncing, rewritten on every run so the config stays the truth
# (keeping its UUID, so an unchanged config gives a byte-identical profile).
if [ -n "${HANDCARRY_UPLINK_SSID:-}" ]; then
	if [ -n "${HANDCARRY_UPLINK_PSK:-}" ]; then
		SECURITY="802-11-wireless-security.key-mgmt wpa-psk 802-11-wireless-security.psk $(printf '%q' "${HANDCARRY_UPLINK_PSK}")"
	else
		SECURITY=""
	fi
	on_chroot <<EOF_CHROOT
set -e
dir=/etc/NetworkManager/system-connections
uuid="\$(sed -n 's/^uuid=//p' "\${dir}/handcarry-uplink.nmconnection" 2>/dev/null || true)"
nmcli --offline connection add type wifi con-name handcarry-uplink ifname wlan0 \
	ssid $(printf '%q' "${HANDCARRY_UPLINK_SSID}") ${SECURITY} \
	\${uuid:+connection.uuid "\${uuid}"} \
	connection.autoconnect yes connection.autoconnect-priority 10 \
	>"\${dir}/handcarry-uplink.nmconnection.tmp"
chmod 600 "\${dir}/handcarry-uplink.nmconnection.tmp"
mv "\${dir}/handcarry-uplink.nmconnection.tmp" "\${dir}/handcarry-uplink.nmconnection"
EOF_CHROOT
fi
