#!/bin/sh
# After the files have gone (deb postrm, rpm %postun): systemd forgets the unit. The
# wamon user, /var/lib/wamon (host key, recordings, log) and what the operator wrote in
# /etc/wamon are kept, even on a purge: they are data, not the package's.
set -e

if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || true
fi
