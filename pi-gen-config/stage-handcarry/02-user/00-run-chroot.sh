#!/bin/bash -e
# The agent runs as "handcarry", a system user with no login and no home of its own;
# its data lives in /var/lib/handcarry (also the unit's StateDirectory).
if ! getent passwd handcarry >/dev/null; then
	useradd --system --user-group --home-dir /var/lib/handcarry --no-create-home \
		--shell /usr/sbin/nologin --comment "handcarry agent" handcarry
fi
# gpio: LEDs and button through sysfs; netdev: Wi-Fi control. Only where they exist.
for group in gpio netdev; do
	if getent group "${group}" >/dev/null; then
		usermod -a -G "${group}" handcarry
	fi
done
install -d -o handcarry -g handcarry -m 0750 /var/lib/handcarry
install -d -o root -g handcarry -m 0750 /etc/handcarry
