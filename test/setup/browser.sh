#!/usr/bin/env bash
# Install Debian's Chromium for the browser test of the HTML report (test/report/browser.test.ts,
# which drives it with playwright-core; no browser is downloaded by npm). Idempotent: quick when
# /usr/bin/chromium is there. .ci/run calls it before `npm test`.
set -euo pipefail
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
if [ ! -x /usr/bin/chromium ]; then
  echo "setup: installing chromium (Debian)"
  export DEBIAN_FRONTEND=noninteractive
  if ! "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends chromium; then
    "${sudo_cmd[@]}" apt-get update -q
    "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends chromium
  fi
fi
echo "setup: $(/usr/bin/chromium --version 2>/dev/null || echo 'chromium not installed')"
