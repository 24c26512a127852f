#!/usr/bin/env bash
# Set up bci from nothing: the Debian libraries Qt needs (when run as root or with sudo),
# a virtual environment in .venv, and the project with its development extras.
set -euo pipefail
cd "$(dirname "$0")/.."

QT_DEBS="libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libfreetype6 \
libdbus-1-3 libglib2.0-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 \
libxcb-xinerama0 libxcb-randr0 libxcb-render-util0 libxcb-image0 libxcb-xkb1 libxrender1 libxi6"
# BCI_EXTRAS picks the project's extras (default: dev). With "pointer" (bci cursor
# --output pointer) the X server its test starts and a second reader of the pointer
# come too; CI sets BCI_EXTRAS=dev,pointer so that test moves a real pointer.
EXTRAS=${BCI_EXTRAS:-dev}
case ",$EXTRAS," in *,pointer,*) QT_DEBS="$QT_DEBS xvfb xdotool" ;; esac

missing=""
for pkg in $QT_DEBS; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
done
if [ -n "$missing" ] && command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else SUDO="none"; fi
  if [ "$SUDO" != "none" ]; then
    echo "setup: installing system libraries:$missing" >&2
    $SUDO apt-get update -qq
    # (debconf's "delaying package configuration, since apt-utils is not installed" is
    # noise on a minimal image: filtered, every other message still shows.)
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
      $missing >/dev/null 2> >(grep -v "delaying package configuration" >&2)
  else
    echo "setup: missing system libraries for the GUI:$missing (install them with apt-get)" >&2
  fi
fi

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# setuptools warns on every editable install of a flat layout (bci/ and bci_apps/ at the
# root) that such folders "may take precedence during imports": here they are the package.
PYTHONWARNINGS="ignore:Editable installation" .venv/bin/python -m pip install -q -e ".[$EXTRAS]"
echo "setup: done (.venv ready; run .venv/bin/bci --help)" >&2
