#!/bin/bash
# Make a self-contained pi-gen stage directory from this repository: a copy of
# stage-handcarry/ plus the built agent, the units (systemd/) and the firmware
# fragments (firmware/) in the sub-stages' files/ folders. pi-gen in Docker sees only
# files inside its checkout, so build.sh assembles straight into it; the image test
# assembles into a temp dir.
#
#   pi-gen-config/assemble-stage.sh [--app-dist DIR] OUT_DIR
#
# --app-dist DIR uses an already built dist/ instead of running "npm run build".
set -euo pipefail

usage() { echo "usage: $0 [--app-dist DIR] OUT_DIR" >&2; exit 2; }

APP_DIST=""
while [ $# -gt 0 ]; do
	case "$1" in
	--app-dist) [ $# -ge 2 ] || usage; APP_DIST="$2"; shift 2 ;;
	-h | --help) usage ;;
	-*) echo "unknown option: $1" >&2; usage ;;
	*) break ;;
	esac
done
[ $# -eq 1 ] || usage
OUT="$1"

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "${HERE}/.." && pwd)"

# Refuse to wipe a directory that is not an earlier assembly.
if [ -e "${OUT}" ]; then
	if [ ! -f "${OUT}/.handcarry-assembled" ]; then
		echo "assemble-stage: ${OUT} exists and is not an assembled stage; not touching it" >&2
		exit 1
	fi
	rm -rf "${OUT}"
fi
mkdir -p "$(dirname "${OUT}")"
cp -R "${HERE}/stage-handcarry" "${OUT}"
touch "${OUT}/.handcarry-assembled"

APP_OUT="${OUT}/01-agent/files/app"
mkdir -p "${APP_OUT}"
if [ -n "${APP_DIST}" ]; then
	[ -f "${APP_DIST}/cli.js" ] || { echo "assemble-stage: ${APP_DIST}/cli.js not found" >&2; exit 1; }
	cp -R "${APP_DIST}" "${APP_OUT}/dist"
else
	# The project's own build script, with the output sent here instead of ./dist.
	(cd "${REPO}" && npm run --silent build -- --outDir "${APP_OUT}/dist")
fi
# Source maps are of no use on the device.
find "${APP_OUT}/dist" -name '*.map' -delete
cp "${REPO}/package-lock.json" "${REPO}/README.md" "${APP_OUT}/"
# package.json without scripts: "prepare" would run tsc, a dev dependency, at install.
node -e '
	const fs = require("node:fs");
	const pkg = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
	delete pkg.scripts;
	fs.writeFileSync(process.argv[2], JSON.stringify(pkg, null, 2) + "\n");
' "${REPO}/package.json" "${APP_OUT}/package.json"

mkdir -p "${OUT}/03-system/files" "${OUT}/05-firmware/files"
cp "${REPO}/systemd/handcarry-agent.service" "${REPO}/systemd/handcarry-setup.service" \
	"${REPO}/systemd/handcarry-setup" "${REPO}/systemd/journald-volatile.conf" \
	"${REPO}/systemd/handcarry-wifi-interfaces.service" "${REPO}/systemd/handcarry-wifi-interfaces" \
	"${REPO}/systemd/var-lib-NetworkManager.mount" "${REPO}/systemd/60-handcarry-leds.rules" \
	"${OUT}/03-system/files/"
cp "${REPO}/firmware/config.txt" "${REPO}/firmware/cmdline.txt" "${OUT}/05-firmware/files/"

# pi-gen runs NN-run.sh and prerun.sh only when executable.
find "${OUT}" -maxdepth 2 \( -name '[0-9][0-9]-run.sh' -o -name prerun.sh \) -exec chmod 755 {} +
echo "assembled ${OUT}"
