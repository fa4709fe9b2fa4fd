#!/bin/sh
# Secrets from files: for every NAME_FILE in the environment (a Docker or
# Kubernetes secret mounted as a file), export NAME with the file's content,
# then run the command. NAME itself wins when both are set.
set -eu
for var in $(env | sed -n 's/^\([A-Z][A-Z0-9_]*\)_FILE=.*/\1/p'); do
  if [ -z "$(printenv "$var" || true)" ]; then
    file=$(printenv "${var}_FILE")
    value=$(cat "$file")
    export "$var=$value"
  fi
done
exec "$@"
