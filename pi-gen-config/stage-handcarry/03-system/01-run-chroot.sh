#!/bin/bash -e
chown root:handcarry /etc/handcarry /etc/handcarry/agent.env /etc/handcarry/config.json
systemctl enable handcarry-setup.service handcarry-wifi-interfaces.service handcarry-agent.service \
	var-lib-NetworkManager.mount

# Bluetooth is off in config.txt; do not start its services either.
for unit in hciuart.service bluetooth.service; do
	if [ -e "/usr/lib/systemd/system/${unit}" ] || [ -e "/lib/systemd/system/${unit}" ]; then
		systemctl disable "${unit}"
	fi
done

# The image-wide first-user password must be changed at first login. pi-gen exports
# FIRST_USER_NAME; without it, the first user is the one with UID 1000.
FIRST_USER="${FIRST_USER_NAME:-$(getent passwd 1000 | cut -d: -f1)}"
if [ -n "${FIRST_USER}" ] && getent passwd "${FIRST_USER}" >/dev/null; then
	passwd --expire "${FIRST_USER}"
fi
