#!/usr/bin/env bash
# Builds the NuGet package librdkafka.redist 2.0.2 from Debian's librdkafka1 into .build/feed.
# The public registry has Confluent.Kafka but not its native dependency, so we package the distro's
# library under the id and version Confluent.Kafka expects. The package is keyed to the library's
# content: if the global packages folder holds a copy built from another library, it is removed so
# the restore takes this one.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
feed="$root/.build/feed"
version=2.0.2
lib=$( (ldconfig -p 2>/dev/null || true) | awk '/librdkafka\.so\.1 .*x86-64/ {print $NF}' | head -n 1)
[ -n "$lib" ] || lib=/usr/lib/x86_64-linux-gnu/librdkafka.so.1
if [ ! -f "$lib" ]; then
  echo "error: librdkafka.so.1 not found; install Debian's librdkafka1 (./align does this)" >&2
  exit 1
fi
libsum=$(sha256sum "$(readlink -f "$lib")" | cut -c1-16)
stamp="$feed/librdkafka.redist.$version.source"
pkg="$feed/librdkafka.redist.$version.nupkg"
if [ -f "$pkg" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$libsum" ]; then
  exit 0
fi
echo "setup: building librdkafka.redist $version from $(basename "$(readlink -f "$lib")") into .build/feed"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/runtimes/linux-x64/native" "$feed"
cp "$(readlink -f "$lib")" "$work/runtimes/linux-x64/native/librdkafka.so"
cat > "$work/librdkafka.redist.nuspec" <<NUSPEC
<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata>
    <id>librdkafka.redist</id>
    <version>$version</version>
    <authors>AlignStream build (from Debian librdkafka1)</authors>
    <description>librdkafka $version native library repackaged from the Debian package for Confluent.Kafka. Source stamp $libsum.</description>
  </metadata>
</package>
NUSPEC
cat > "$work/[Content_Types].xml" <<'CT'
<?xml version="1.0" encoding="utf-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
  <Default Extension="nuspec" ContentType="application/octet" />
  <Default Extension="so" ContentType="application/octet" />
</Types>
CT
rm -f "$pkg"
(cd "$work" && /usr/bin/python3 -c '
import sys, zipfile, os
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    for p in ["[Content_Types].xml", "librdkafka.redist.nuspec", "runtimes/linux-x64/native/librdkafka.so"]:
        z.write(p, p)
' "$pkg")
echo "$libsum" > "$stamp"
# A stale extracted copy in the global packages folder would win over the feed.
globals=$(dotnet nuget locals global-packages --list 2>/dev/null | sed -n 's/^global-packages: //p')
[ -n "$globals" ] || globals="$HOME/.nuget/packages"
rm -rf "$globals/librdkafka.redist/$version"
