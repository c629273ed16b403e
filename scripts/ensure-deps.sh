#!/usr/bin/env bash
# Installs what `make run` / `make test` need and is missing, so a fresh Debian machine needs only those two commands.
#   scripts/ensure-deps.sh run    QEMU and OVMF
#   scripts/ensure-deps.sh test   QEMU and OVMF plus the test oracles (nasm, binutils, xorriso, mtools, gdisk,
#                                 fdisk, dosfstools, gcc, gcc-multilib (gcc -m32 headers), python3, perl's TAP::Parser)
set -euo pipefail
cd "$(dirname "$0")/.."
purpose=${1:-test}

# --- npm packages: `npm ci` when node_modules is missing or older than the lock file. -----------------------
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.ostool-lock-sha256
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
  echo "ensure-deps: installing npm packages (npm ci)"
  npm ci --no-audit --no-fund
  echo "$lock_hash" > "$stamp"
fi

# --- system packages: command or file that proves each Debian package is there. ----------------------------
declare -A probe=(
  [qemu-system-x86]="cmd:qemu-system-x86_64"
  [ovmf]="file:/usr/share/OVMF/OVMF_CODE_4M.fd /usr/share/OVMF/OVMF_CODE.fd /usr/share/edk2/ovmf/OVMF_CODE.fd /usr/share/edk2/x64/OVMF_CODE.4m.fd /usr/share/qemu/edk2-x86_64-code.fd"
)
if [ "$purpose" = test ]; then
  probe+=(
    [nasm]="cmd:nasm"
    [binutils]="cmd:ld readelf objdump objcopy"
    [xorriso]="cmd:xorriso"
    [mtools]="cmd:mdir"
    [gdisk]="cmd:sgdisk"
    [fdisk]="cmd:sfdisk"
    [dosfstools]="cmd:fsck.fat"
    [gcc]="cmd:gcc"
    [gcc-multilib]="file:/usr/include/x86_64-linux-gnu/gnu/stubs-32.h /usr/lib/gcc/x86_64-linux-gnu/12/32/libgcc.a"
    [python3]="cmd:python3"
    [perl]="perlmod:TAP::Parser"
  )
fi

missing=()
for pkg in "${!probe[@]}"; do
  kind=${probe[$pkg]%%:*}
  items=${probe[$pkg]#*:}
  found=0
  if [ "$kind" = cmd ]; then
    found=1
    for c in $items; do command -v "$c" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin" command -v "$c" >/dev/null 2>&1 || found=0; done
  elif [ "$kind" = perlmod ]; then
    perl -M"$items" -e 1 >/dev/null 2>&1 && found=1
  else
    for f in $items; do [ -e "$f" ] && found=1; done
  fi
  [ $found = 1 ] || missing+=("$pkg")
done

[ ${#missing[@]} -eq 0 ] && exit 0

if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "ensure-deps: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
  exit 0
fi

cat >&2 <<MSG
ostool needs these packages, which are missing: ${missing[*]}
Install them, then run make again:
  Debian/Ubuntu:   sudo apt-get install qemu-system-x86 ovmf nasm binutils xorriso mtools gdisk dosfstools gcc gcc-multilib python3 perl
  Fedora:          sudo dnf install qemu-system-x86 edk2-ovmf nasm binutils xorriso mtools gdisk dosfstools gcc python3 perl-Test-Harness
  Arch:            sudo pacman -S qemu-system-x86 edk2-ovmf nasm binutils libisoburn mtools gptfdisk dosfstools gcc python perl
  macOS (Homebrew): brew install qemu nasm x86_64-elf-binutils x86_64-elf-gcc xorriso mtools gptfdisk dosfstools python perl
(QEMU's Homebrew package ships its own UEFI firmware, share/qemu/edk2-x86_64-code.fd.)
MSG
exit 1
