#!/bin/bash -e
# Copy the agent, built on the build host by ../assemble-stage.sh (dist/, package.json,
# package-lock.json), into /opt/handcarry. node_modules is installed in the next step,
# inside the image, so native modules match the target.
APP_SRC=files/app
if [ ! -f "${APP_SRC}/dist/cli.js" ] || [ ! -f "${APP_SRC}/package-lock.json" ]; then
	echo "01-agent: ${PWD}/${APP_SRC} has no built agent; run pi-gen-config/assemble-stage.sh" >&2
	exit 1
fi
APP_DIR="${ROOTFS_DIR}/opt/handcarry"
install -d -m 755 "${APP_DIR}"
# Replace the code, keep node_modules (the next step reinstalls it only if the lockfile changed).
rm -rf "${APP_DIR}/dist"
cp -R "${APP_SRC}/." "${APP_DIR}/"
chown -R 0:0 "${APP_DIR}"
chmod -R u=rwX,go=rX "${APP_DIR}"
