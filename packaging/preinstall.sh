#!/bin/sh
# Before the files are unpacked (deb preinst, rpm %pre; on installs and upgrades alike):
# the system user wamon serve runs as, so that /etc/wamon is unpacked as its own. Made
# once; an existing user or group of that name is kept as it is.
set -e

if ! getent group wamon >/dev/null; then
	groupadd --system wamon
fi
if ! getent passwd wamon >/dev/null; then
	useradd --system --gid wamon --home-dir /var/lib/wamon --no-create-home \
		--shell /usr/sbin/nologin --comment "wamon serve" wamon
fi
