#!/usr/bin/env bash
# Starts Debian's Chromium with every --disable-features (and --enable-features) list merged into
# one flag. Chromium keeps only the last of each, and Playwright passes its own --disable-features
# list, so without this either Playwright's or ours (WebRtcHideLocalIpsWithMdns) would be lost.
# Used as playwright-core's executablePath by test/interop/webrtc_relay_test.ts.
# CHROMIUM_BIN overrides the browser (default /usr/bin/chromium).
set -euo pipefail

args=()
disabled=""
enabled=""
for arg in "$@"; do
  case "$arg" in
    --disable-features=*) disabled="${disabled:+$disabled,}${arg#--disable-features=}" ;;
    --enable-features=*) enabled="${enabled:+$enabled,}${arg#--enable-features=}" ;;
    *) args+=("$arg") ;;
  esac
done
[ -n "$disabled" ] && args+=("--disable-features=$disabled")
[ -n "$enabled" ] && args+=("--enable-features=$enabled")
exec "${CHROMIUM_BIN:-/usr/bin/chromium}" "${args[@]}"
