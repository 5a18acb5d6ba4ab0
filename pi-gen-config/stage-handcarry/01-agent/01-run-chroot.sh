#!/bin/bash -e
# Install the agent's production dependencies inside the image, so native modules are
# built for the target (epoll via node-gyp; classic-level picks its prebuilt binary).
# Build tools are installed only for this step and purged after, unless the image
# already had them. Skipped when the same lockfile is already installed (re-runs).
cd /opt/handcarry
STAMP=node_modules/.handcarry-deps
WANT="$(sha256sum package-lock.json | cut -d' ' -f1) node-$(node --version) $(uname -m)"
if [ -f "${STAMP}" ] && [ "$(cat "${STAMP}")" = "${WANT}" ]; then
	echo "01-agent: production dependencies already installed for this lockfile"
	exit 0
fi

BUILD_PKGS="npm python3 make g++"
ADDED=""
for pkg in ${BUILD_PKGS}; do
	if ! dpkg-query -W -f='${Status}' "${pkg}" 2>/dev/null | grep -q 'install ok installed'; then
		ADDED="${ADDED} ${pkg}"
	fi
done
if [ -n "${ADDED}" ]; then
	# shellcheck disable=SC2086 # word splitting wanted: a package list
	apt-get -o Acquire::Retries=3 install -y --no-install-recommends ${ADDED}
fi

rm -rf node_modules
# Debian's npm runs install scripts by default (epoll needs its node-gyp build).
NPM_CACHE=$(mktemp -d)
npm ci --omit=dev --no-audit --no-fund --cache "${NPM_CACHE}"
rm -rf "${NPM_CACHE}" /root/.npm
# Native prebuilds for other platforms (classic-level ships ten) only cost card space.
NODE_PLATFORM="linux-$(node -p process.arch)"
find node_modules -type d -name prebuilds -prune -print | while read -r dir; do
	find "${dir}" -mindepth 1 -maxdepth 1 ! -name "${NODE_PLATFORM}*" -exec rm -rf {} +
done
echo "${WANT}" >"${STAMP}"
chown -R 0:0 /opt/handcarry
chmod -R u=rwX,go=rX /opt/handcarry

if [ -n "${ADDED}" ]; then
	# shellcheck disable=SC2086
	apt-get purge -y --auto-remove ${ADDED}
fi
# Downloaded .debs are removed by pi-gen's export-image stage (apt-get clean).
