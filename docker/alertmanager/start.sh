#!/bin/sh
# Alertmanager with its receivers' address from ALERT_WEBHOOK_URL: the
# shipped alertmanager.yml names none, and an empty one is refused here.
set -eu
if [ -z "${ALERT_WEBHOOK_URL:-}" ]; then
  echo "ALERT_WEBHOOK_URL must be set (where Alertmanager posts pages and tickets)" >&2
  exit 1
fi
umask 077
# The address goes into files that the configuration reads (url_file), so
# no character of it is interpreted as YAML or by sed.
printf '%s' "$ALERT_WEBHOOK_URL" > /alertmanager/webhook_url
exec /bin/alertmanager --config.file=/etc/alertmanager/alertmanager.yml --storage.path=/alertmanager
