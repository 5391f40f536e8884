#!/bin/sh
# After the files are in place (deb postinst, rpm %post): where systemd runs, it reads
# the unit again, and a wamon serve that was running (an upgrade) restarts on the new
# binary. A first install starts nothing: the config and the authorized keys are the
# operator's to write (see the unit, wamon-serve.service).
set -e

if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || true
	systemctl try-restart wamon-serve.service >/dev/null 2>&1 || true
fi
