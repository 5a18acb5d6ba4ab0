#!/bin/bash -e
# Captive DNS for hotspot clients, no forwarding from the hotspot, NetworkManager rights
# for the agent, the agent's bind to the hotspot address, and handcarry.local announced on
# the hotspot only.
install -D -m 644 files/dnsmasq-handcarry.conf \
	"${ROOTFS_DIR}/etc/NetworkManager/dnsmasq-shared.d/handcarry.conf"
install -D -m 755 files/50-handcarry-no-forward \
	"${ROOTFS_DIR}/etc/NetworkManager/dispatcher.d/50-handcarry-no-forward"
install -D -m 644 files/50-handcarry-networkmanager.rules \
	"${ROOTFS_DIR}/etc/polkit-1/rules.d/50-handcarry-networkmanager.rules"
install -D -m 644 files/60-handcarry-hotspot-bind.conf \
	"${ROOTFS_DIR}/etc/sysctl.d/60-handcarry-hotspot-bind.conf"
# avahi answers handcarry.local on the hotspot interfaces only, not on the uplink network.
AVAHI_CONF="${ROOTFS_DIR}/etc/avahi/avahi-daemon.conf"
if [ -f "${AVAHI_CONF}" ]; then
	sed -i -e 's/^#\?[[:space:]]*allow-interfaces=.*/allow-interfaces=wlan0,uap0/' "${AVAHI_CONF}"
	grep -q '^allow-interfaces=wlan0,uap0$' "${AVAHI_CONF}" ||
		sed -i -e '/^\[server\]/a allow-interfaces=wlan0,uap0' "${AVAHI_CONF}"
fi
