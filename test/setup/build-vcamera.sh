#!/usr/bin/env bash
# Builds libgphoto2's own virtual PTP camera (the `vusb` port driver + `vcamera`, an emulated
# Nikon D750) from Debian's libgphoto2 source package, so that Debian's real /usr/bin/gphoto2 can
# capture and download without a camera (see /work/shared/gphoto2-facts.md).
#
# Result, under PREFIX (default /opt/camera-tether-vcamera, or $CAMERA_TETHER_VCAMERA_PREFIX):
#   lib/                                       libgphoto2 + libgphoto2_port   (LD_LIBRARY_PATH)
#   lib/libgphoto2_port/<portver>/             io libs incl. vusb.so           (IOLIBS)
#   lib/libgphoto2/<ver>/                      camlibs: ptp2.so only           (CAMLIBS)
#   share/libgphoto2_port/<portver>/vcamera/   the card: DCIM/100GPHOT/*.JPG
#   vusb-cwd/>/dev/null                        USB ids 04b0:0437 (the working dir for gphoto2)
#   camera-tether-vcamera.env                  the paths above, KEY=VALUE, one a line
#   .camera-tether-vcamera.stamp               written last: a complete, working build
#
# Idempotent: when the stamp and the files it names exist, it only prints PREFIX and exits.
# Needs root for apt-get (build deps) unless they are installed already. Only the Debian
# apt repositories are used; the system's apt source lists are never modified.
set -euo pipefail

PREFIX="${CAMERA_TETHER_VCAMERA_PREFIX:-/opt/camera-tether-vcamera}"
STAMP="$PREFIX/.camera-tether-vcamera.stamp"
ENV_FILE="$PREFIX/camera-tether-vcamera.env"
USB_CWD="$PREFIX/vusb-cwd"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"

log() { printf '[build-vcamera] %s\n' "$*" >&2; }
die() { printf '[build-vcamera] ERROR: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- fast path: already built
build_is_complete() {
  [ -f "$STAMP" ] && [ -f "$ENV_FILE" ] || return 1
  local line key val
  while IFS= read -r line; do
    case "$line" in ''|'#'*) continue ;; esac
    key="${line%%=*}"; val="${line#*=}"
    case "$key" in
      IOLIBS) [ -f "$val/vusb.so" ] || return 1 ;;
      CAMLIBS) [ -f "$val/ptp2.so" ] || return 1 ;;
      VCAMERA_DIR) compgen -G "$val/DCIM/100GPHOT/*.JPG" >/dev/null || return 1 ;;
      VUSB_CWD) [ -f "$val/>/dev/null" ] || return 1 ;;
    esac
  done <"$ENV_FILE"
  return 0
}

if build_is_complete; then
  log "already built (stamp $STAMP)"
  echo "$PREFIX"
  exit 0
fi

start_epoch=$(date +%s)

# ---------------------------------------------------------------- version to build
# Build exactly the libgphoto2 version Debian's gphoto2 uses, so the camlib/iolib ABI matches.
SRC_VERSION="${CAMERA_TETHER_LIBGPHOTO2_VERSION:-}"
if [ -z "$SRC_VERSION" ]; then
  SRC_VERSION="$(dpkg-query -W -f='${Version}' libgphoto2-6 2>/dev/null || true)"
fi
SRC_VERSION="${SRC_VERSION:-2.5.30-1}"
UPSTREAM_VERSION="${SRC_VERSION#*:}"; UPSTREAM_VERSION="${UPSTREAM_VERSION%-*}"
log "libgphoto2 source version $SRC_VERSION (upstream $UPSTREAM_VERSION), prefix $PREFIX"

# ---------------------------------------------------------------- build dependencies
BUILD_DEPS=(dpkg-dev build-essential libltdl-dev libexif-dev libjpeg-dev libxml2-dev pkg-config
  debian-archive-keyring)
missing=()
for pkg in "${BUILD_DEPS[@]}"; do
  status="$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)"
  [ "$status" = "installed" ] || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing build deps: ${missing[*]}"
  [ "$(id -u)" -eq 0 ] || die "need root to apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2
fi

# ---------------------------------------------------------------- private apt source list
# Find the Debian mirror the system uses for bookworm main (deb822 .sources or one-line .list).
find_mirror() {
  local f uri
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # deb822: stanzas separated by blank lines; take the URIs of a stanza whose Suites has bookworm.
    uri="$(awk 'BEGIN{RS=""; FS="\n"}
      { u=""; s=0; m=0
        for (i=1;i<=NF;i++) {
          if ($i ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", $i); split($i, a, /[ \t]+/); u=a[1] }
          if ($i ~ /^Suites:/ && $i ~ /(^|[ \t])bookworm([ \t]|$)/) s=1
          if ($i ~ /^Components:/ && $i ~ /(^|[ \t])main([ \t]|$)/) m=1
          if ($i ~ /^Enabled:[ \t]*no/) { s=0 }
        }
        if (u != "" && s && m) { print u; exit } }' "$f")"
    [ -n "$uri" ] && { echo "$uri"; return; }
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    uri="$(awk '$1=="deb" { i=2; if ($2 ~ /^\[/) { while (i<=NF && $i !~ /\]$/) i++; i++ }
      if ($(i+1)=="bookworm") { for (j=i+2;j<=NF;j++) if ($j=="main") { print $i; exit } } }' "$f")"
    [ -n "$uri" ] && { echo "$uri"; return; }
  done
  echo "http://deb.debian.org/debian"
}
MIRROR="${CAMERA_TETHER_DEBIAN_MIRROR:-$(find_mirror)}"
MIRROR="${MIRROR%/}"
log "Debian mirror: $MIRROR"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/camera-tether-vcamera-build.XXXXXX")"
cleanup() { [ "${CAMERA_TETHER_VCAMERA_KEEP_BUILD:-0}" = 1 ] || rm -rf "$WORK"; }
trap cleanup EXIT

APT_DIR="$WORK/apt"
mkdir -p "$APT_DIR/sources.list.d" "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
cat >"$APT_DIR/sources.list.d/camera-tether-src.sources" <<EOF
Types: deb-src
URIs: $MIRROR
Suites: bookworm
Components: main
Signed-By: $KEYRING
EOF
APT_OPTS=(
  -o "Dir::Etc::SourceList=/dev/null"
  -o "Dir::Etc::SourceParts=$APT_DIR/sources.list.d"
  -o "Dir::State::Lists=$APT_DIR/lists"
  -o "Dir::Cache=$APT_DIR/cache"
  -o "Dir::Cache::pkgcache="
  -o "Dir::Cache::srcpkgcache="
  -o "APT::Sandbox::User=root"
)
log "apt-get update (private source list)"
apt-get "${APT_OPTS[@]}" update >&2
log "apt-get source libgphoto2=$SRC_VERSION"
(cd "$WORK" && apt-get "${APT_OPTS[@]}" source "libgphoto2=$SRC_VERSION" >&2)
SRC_DIR="$(find "$WORK" -maxdepth 1 -type d -name "libgphoto2-*" | head -n 1)"
if [ -z "$SRC_DIR" ] || [ ! -x "$SRC_DIR/configure" ]; then die "no unpacked libgphoto2 source in $WORK"; fi

# ---------------------------------------------------------------- build + install
log "configure + make in $SRC_DIR"
(
  cd "$SRC_DIR"
  ./configure --prefix="$PREFIX" --enable-vusb --with-camlibs=ptp2 --disable-nls \
    --without-libusb --without-libusb-1.0 --disable-docs >"$WORK/configure.log" 2>&1 \
    || { tail -n 40 "$WORK/configure.log" >&2; exit 1; }
  make -j"$(nproc)" >"$WORK/make.log" 2>&1 || { tail -n 60 "$WORK/make.log" >&2; exit 1; }
  make install >"$WORK/install.log" 2>&1 || { tail -n 40 "$WORK/install.log" >&2; exit 1; }
)

IOLIBS_DIR="$(dirname "$(find "$PREFIX/lib/libgphoto2_port" -name vusb.so | head -n 1)")"
CAMLIBS_DIR="$(dirname "$(find "$PREFIX/lib/libgphoto2" -name ptp2.so | head -n 1)")"
[ -f "$IOLIBS_DIR/vusb.so" ] || die "vusb.so was not installed under $PREFIX/lib/libgphoto2_port"
[ -f "$CAMLIBS_DIR/ptp2.so" ] || die "ptp2.so was not installed under $PREFIX/lib/libgphoto2"
PORT_VERSION="$(basename "$IOLIBS_DIR")"
# vcamera serves its card from $(datadir)/libgphoto2_port/<port version>/vcamera (VCAMERADIR).
VCAMERA_DIR="$PREFIX/share/libgphoto2_port/$PORT_VERSION/vcamera"

# ---------------------------------------------------------------- the card: real JPEGs in DCIM/
# A top-level DCIM/ folder is required (without it a capture segfaults).
mkdir -p "$VCAMERA_DIR/DCIM/100GPHOT"
make_jpegs() {
  local out="$1"
  [ -f "$REPO_ROOT/node_modules/jpeg-js/package.json" ] || return 1
  command -v node >/dev/null || return 1
  JPEG_JS="$REPO_ROOT/node_modules/jpeg-js" OUT="$out" node -e '
    const jpeg = require(process.env.JPEG_JS);
    const fs = require("fs");
    const path = require("path");
    const frames = [["IMG_0001.JPG", [200, 60, 40]], ["IMG_0002.JPG", [40, 90, 200]], ["IMG_0003.JPG", [60, 170, 70]]];
    const width = 160, height = 120;
    for (const [name, [r, g, b]] of frames) {
      const data = Buffer.alloc(width * height * 4);
      for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
        const i = (y * width + x) * 4, shade = (x + y) / (width + height);
        data[i] = Math.round(r * (0.4 + shade)) & 255;
        data[i + 1] = Math.round(g * (0.4 + shade)) & 255;
        data[i + 2] = Math.round(b * (0.4 + shade)) & 255;
        data[i + 3] = 255;
      }
      fs.writeFileSync(path.join(process.env.OUT, name), jpeg.encode({ data, width, height }, 85).data);
    }'
}
if ! make_jpegs "$VCAMERA_DIR/DCIM/100GPHOT"; then
  # Fallback: any small JPEG a Debian package ships (e.g. Python test data, doc images).
  src_jpeg="$(find /usr/share /usr/lib -xdev -type f \( -iname '*.jpg' -o -iname '*.jpeg' \) -size -200k 2>/dev/null | head -n 1 || true)"
  [ -n "$src_jpeg" ] || die "cannot generate JPEGs: no node + jpeg-js in $REPO_ROOT/node_modules and no JPEG on the system"
  cp "$src_jpeg" "$VCAMERA_DIR/DCIM/100GPHOT/IMG_0001.JPG"
  cp "$src_jpeg" "$VCAMERA_DIR/DCIM/100GPHOT/IMG_0002.JPG"
fi
for f in "$VCAMERA_DIR"/DCIM/100GPHOT/*.JPG; do
  [ "$(head -c 3 "$f" | od -An -tx1 | tr -d ' \n')" = "ffd8ff" ] || die "$f is not a JPEG"
done

# ---------------------------------------------------------------- the vusb USB-id file
# gphoto2 --port 'usb:>/dev/null' makes vusb read the ids from the RELATIVE path '>/dev/null';
# the leading '>' also puts vcamera in record mode (its traffic log goes to /dev/null).
mkdir -p "$USB_CWD/>/dev"
printf '\xb0\x04\x37\x04' >"$USB_CWD/>/dev/null"

# ---------------------------------------------------------------- smoke test, then the stamp
smoke_home="$(mktemp -d "$WORK/home.XXXXXX")"
if ! (cd "$USB_CWD" && HOME="$smoke_home" LD_LIBRARY_PATH="$PREFIX/lib" IOLIBS="$IOLIBS_DIR" \
    CAMLIBS="$CAMLIBS_DIR" timeout 60 /usr/bin/gphoto2 --camera 'Nikon DSC D750' \
    --port 'usb:>/dev/null' --summary </dev/null >"$WORK/smoke.log" 2>&1); then
  cat "$WORK/smoke.log" >&2
  die "smoke test (gphoto2 --summary against vcamera) failed"
fi
# The emulator reports itself as Manufacturer "GP", Model "VC" with a "GPVC Storage" card.
if ! grep -q '^Camera summary:' "$WORK/smoke.log" || ! grep -q 'GPVC Storage' "$WORK/smoke.log"; then
  cat "$WORK/smoke.log" >&2
  die "smoke test did not reach the virtual camera"
fi

cat >"$ENV_FILE" <<EOF
# Written by test/setup/build-vcamera.sh; read by test/support/vcamera.ts.
PREFIX=$PREFIX
LIBGPHOTO2_SOURCE_VERSION=$SRC_VERSION
LD_LIBRARY_PATH=$PREFIX/lib
IOLIBS=$IOLIBS_DIR
CAMLIBS=$CAMLIBS_DIR
VCAMERA_DIR=$VCAMERA_DIR
VUSB_CWD=$USB_CWD
EOF
elapsed=$(( $(date +%s) - start_epoch ))
printf 'built %s libgphoto2 %s in %ss\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$SRC_VERSION" "$elapsed" >"$STAMP"
log "done in ${elapsed}s"
echo "$PREFIX"
