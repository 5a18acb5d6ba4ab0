#!/bin/bash -e
# Start from the previous stage's root filesystem (stage2, the Lite system).
if [ ! -d "${ROOTFS_DIR}" ]; then
	copy_previous
fi
