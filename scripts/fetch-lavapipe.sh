#!/usr/bin/env bash
# Fetches Mesa 25's lavapipe (a Vulkan driver on the CPU that, unlike SwiftShader, has shader-f16) from Debian's
# bookworm-backports into .cache/lavapipe/, without installing anything system-wide: test/webgpu/f16.test.ts
# points Dawn at it (VK_ICD_FILENAMES=.cache/lavapipe/lvp_icd.json) to test the f16 WebGPU plan.
#
# Needs apt-get and dpkg (Debian 12) and the libraries Mesa's Vulkan drivers link (installed with Debian's own
# mesa-vulkan-drivers, as the README's test command does). Does nothing when the driver is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
dest="$PWD/.cache/lavapipe"
if [ -f "$dest/lvp_icd.json" ]; then exit 0; fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
echo 'deb http://deb.debian.org/debian bookworm-backports main' > "$work/sources.list"
# A private apt state: only this one source, nothing of the system's apt configuration changes.
opts=(-o Dir::Etc::SourceList="$work/sources.list" -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists="$work/lists"
      -o Dir::Cache="$work/cache" -o Debug::NoLocking=1 -o APT::Sandbox::User="$(id -un)")
apt-get "${opts[@]}" -qq update
(cd "$work" && apt-get "${opts[@]}" -qq download mesa-vulkan-drivers/bookworm-backports)
dpkg -x "$work"/mesa-vulkan-drivers_*.deb "$work/root"
lib=$(find "$work/root" -name libvulkan_lvp.so | head -n 1)
if [ -z "$lib" ]; then echo "fetch-lavapipe: libvulkan_lvp.so is not in the package" >&2; exit 1; fi

rm -rf "$dest.tmp"
mkdir -p "$dest.tmp"
cp "$lib" "$dest.tmp/"
cat > "$dest.tmp/lvp_icd.json" <<JSON
{ "file_format_version": "1.0.0", "ICD": { "library_path": "$dest/libvulkan_lvp.so", "api_version": "1.3.0" } }
JSON
rm -rf "$dest"
mv "$dest.tmp" "$dest"
echo "fetch-lavapipe: $(ls "$work"/mesa-vulkan-drivers_*.deb | xargs -n1 basename) -> $dest"
