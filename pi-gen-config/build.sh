#!/bin/bash
# Build the handcarry SD-card image: fetch a pinned pi-gen release (arm64 branch,
# Raspberry Pi OS trixie 64-bit), put our stage and config into it, run its Docker build.
# Needs Linux, Docker, git, node/npm and internet. Output: .tmp/pi-gen/deploy/*.img.xz
#
#   pi-gen-config/build.sh
#   WPA_COUNTRY=KE HANDCARRY_MASTER=https://master.example.org pi-gen-config/build.sh
#
# Settings from config can be overridden from the environment: see OVERRIDABLE below.
set -euo pipefail

# A pi-gen tag on the arm64 branch AND the commit it names: a tag can be moved, a commit
# cannot, so the clone is compared with PI_GEN_COMMIT before anything is built. Both come
# from one line run on a machine that reaches GitHub (docs/image.md):
#   git ls-remote --tags https://github.com/RPi-Distro/pi-gen.git '*trixie-arm64'
# The commit is left empty here until someone has run that line: the build then stops
# and says so, instead of building from an unchecked ref.
PI_GEN_REF="${PI_GEN_REF:-2026-09-15-raspios-trixie-arm64}"
PI_GEN_COMMIT="${PI_GEN_COMMIT:-}"
PI_GEN_URL="${PI_GEN_URL:-https://github.com/RPi-Distro/pi-gen.git}"
OVERRIDABLE=(WPA_COUNTRY FIRST_USER_NAME FIRST_USER_PASS ENABLE_SSH PUBKEY_SSH_FIRST_USER
	PUBKEY_ONLY_SSH TARGET_HOSTNAME LOCALE_DEFAULT TIMEZONE_DEFAULT KEYBOARD_KEYMAP
	KEYBOARD_LAYOUT DEPLOY_COMPRESSION HANDCARRY_MASTER HANDCARRY_UPLINK_SSID
	HANDCARRY_UPLINK_PSK HANDCARRY_HOTSPOT_CHANNEL HANDCARRY_WIFI_CONCURRENT)

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "${HERE}/.." && pwd)"
PI_GEN_DIR="${PI_GEN_DIR:-${REPO}/.tmp/pi-gen}"

for tool in docker git node npm; do
	command -v "${tool}" >/dev/null || { echo "build.sh: ${tool} is required" >&2; exit 1; }
done
# pi-gen's build-docker.sh stops unless "qemu-aarch64" is on PATH when the host is not arm64.
# On Debian 12 and Ubuntu LTS only qemu-user-binfmt installs that name (qemu-user-static
# installs qemu-aarch64-static): check first, with the fix in the message.
case "$(uname -m)" in
aarch64 | arm64) ;;
*)
	command -v qemu-aarch64 >/dev/null || {
		echo "build.sh: qemu-aarch64 is not on PATH; pi-gen's Docker build needs it on a $(uname -m) host:" >&2
		echo "  sudo apt-get install qemu-user-binfmt" >&2
		exit 1
	}
	;;
esac
if ! [[ "${PI_GEN_COMMIT}" =~ ^[0-9a-f]{40}$ ]]; then
	echo "build.sh: PI_GEN_COMMIT must be the 40-hex commit of pi-gen tag ${PI_GEN_REF}, got '${PI_GEN_COMMIT}'." >&2
	echo "  Look it up: git ls-remote --tags ${PI_GEN_URL} '${PI_GEN_REF}'" >&2
	exit 1
fi
case "${PI_GEN_DIR}" in *" "*)
	echo "build.sh: pi-gen cannot build in a path with spaces: ${PI_GEN_DIR}" >&2; exit 1 ;;
esac

# 1. pi-gen at the pinned tag (a fresh clone when the tag differs).
if [ -d "${PI_GEN_DIR}/.git" ] &&
	[ "$(git -C "${PI_GEN_DIR}" describe --tags --exact-match 2>/dev/null || true)" != "${PI_GEN_REF}" ]; then
	echo "build.sh: ${PI_GEN_DIR} is not at ${PI_GEN_REF}; cloning again"
	rm -rf "${PI_GEN_DIR}"
fi
if [ ! -d "${PI_GEN_DIR}/.git" ]; then
	mkdir -p "$(dirname "${PI_GEN_DIR}")"
	git clone --depth 1 --branch "${PI_GEN_REF}" "${PI_GEN_URL}" "${PI_GEN_DIR}"
fi
CLONED_COMMIT="$(git -C "${PI_GEN_DIR}" rev-parse 'HEAD^{commit}')"
if [ "${CLONED_COMMIT}" != "${PI_GEN_COMMIT}" ]; then
	echo "build.sh: pi-gen tag ${PI_GEN_REF} is commit ${CLONED_COMMIT}, not the pinned ${PI_GEN_COMMIT}; not building" >&2
	exit 1
fi

# 2. The agent's build tools, then our stage (agent, units, firmware) inside the checkout.
if [ ! -x "${REPO}/node_modules/.bin/tsc" ]; then
	(cd "${REPO}" && npm ci --no-audit --no-fund)
fi
# HANDCARRY_APP_DIST: use an already built dist/ instead of running "npm run build".
"${HERE}/assemble-stage.sh" ${HANDCARRY_APP_DIST:+--app-dist "${HANDCARRY_APP_DIST}"} \
	"${PI_GEN_DIR}/stage-handcarry"

# 3. The config, plus whatever of OVERRIDABLE is set in this shell (quoted for bash).
cp "${HERE}/config" "${PI_GEN_DIR}/config"
{
	echo
	echo "# Overrides from the environment of pi-gen-config/build.sh"
	for name in "${OVERRIDABLE[@]}"; do
		if [ -n "${!name+set}" ]; then
			case "${name}" in HANDCARRY_*) printf 'export ' ;; esac
			printf '%s=%q\n' "${name}" "${!name}"
		fi
	done
} >>"${PI_GEN_DIR}/config"

# 4. Only our image: stage2 (Lite) still builds, but is not exported on its own.
touch "${PI_GEN_DIR}/stage2/SKIP_IMAGES"

# 5. Build. CONTINUE=1 reuses the container of an interrupted build.
cd "${PI_GEN_DIR}"
./build-docker.sh
if [ -d "${PI_GEN_DIR}/deploy" ]; then
	echo "Images in ${PI_GEN_DIR}/deploy:"
	find "${PI_GEN_DIR}/deploy" -maxdepth 1 -name '*handcarry*' -print
fi
