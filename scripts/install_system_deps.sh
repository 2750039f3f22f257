#!/usr/bin/env bash
# Installs the Debian packages the toolkit and its tests use, if any is missing:
# ffmpeg (decoding mp3/m4a and making test files), espeak-ng and sox (the sample
# calls), libsndfile (wav/flac/ogg decoding), chromium (rendering the reports and
# the web app in tests), postgresql (a throwaway server for the store tests).
set -euo pipefail
needed=()
command -v ffmpeg >/dev/null || needed+=(ffmpeg)
command -v espeak-ng >/dev/null || needed+=(espeak-ng)
command -v sox >/dev/null || needed+=(sox)
ldconfig -p 2>/dev/null | grep -q libsndfile || needed+=(libsndfile1)
command -v chromium >/dev/null || needed+=(chromium)
# PostgreSQL's server programs: the tests start a throwaway server (tests/postgres_server.py).
command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
  || needed+=(postgresql)
if [ ${#needed[@]} -eq 0 ]; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "installing Debian packages: ${needed[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${needed[@]}" >/dev/null
