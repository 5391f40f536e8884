#!/bin/sh
# Before the files go, on a removal only (deb prerm remove, rpm %preun 0; an upgrade
# keeps the service, which postinstall restarts): the service stops where systemd runs,
# and is disabled.
set -e

case "$1" in
remove | 0) ;;
*) exit 0 ;;
esac
if [ -d /run/systemd/system ]; then
	systemctl stop wamon-serve.service >/dev/null 2>&1 || true
fi
if command -v systemctl >/dev/null 2>&1; then
	systemctl --no-reload disable wamon-serve.service >/dev/null 2>&1 || true
fi
