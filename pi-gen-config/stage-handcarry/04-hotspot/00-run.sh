#!/bin/bash -e
# Captive DNS for hotspot clients and NetworkManager rights for the agent.
install -D -m 644 files/dnsmasq-handcarry.conf \
	"${ROOTFS_DIR}/etc/NetworkManager/dnsmasq-shared.d/handcarry.conf"
install -D -m 644 files/50-handcarry-networkmanager.rules \
	"${ROOTFS_DIR}/etc/polkit-1/rules.d/50-handcarry-networkmanager.rules"
