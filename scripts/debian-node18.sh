#!/usr/bin/env bash
# Unpacks Debian 12's own Node 18 (the `nodejs` package) into DIR without installing it, so the
# single-file bundle can be tested on the oldest Node it supports while the machine's node stays
# the default. Writes DIR/node, a launcher for that binary. Needs apt (package lists for Debian
# 12) and, to run the launcher, root.
#
#   scripts/debian-node18.sh DIR    # then: DIR/node dist/ir-triage.mjs --version
#
# Debian's node loads some of its built-in modules (acorn, cjs-module-lexer, undici) from
# /usr/share/nodejs. The launcher shows it DIR/usr/share/nodejs there through an overlay mount in
# a private mount namespace of its own: nothing on the machine changes.
set -euo pipefail
dir=${1:?usage: debian-node18.sh DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
case "$dir" in *[:,\ ]*) echo "debian-node18.sh: DIR must not contain ':', ',' or spaces (overlay options)" >&2; exit 2 ;; esac

if [ -x "$dir/node" ] && "$dir/node" -e 'process.exit(process.versions.node.startsWith("18.") ? 0 : 1)' 2>/dev/null; then
  exit 0
fi

# The Node 18 the Debian archive offers (the machine's own node may come from elsewhere).
version_18() { apt-cache madison nodejs 2>/dev/null | awk -F'|' '{ gsub(/ /, "", $2) } $2 ~ /^18\./ { print $2; exit }'; }
version=$(version_18)
if [ -z "$version" ]; then
  apt-get update -qq
  version=$(version_18)
fi
if [ -z "$version" ]; then
  echo "debian-node18.sh: apt knows no nodejs 18.x (not Debian 12?)" >&2
  exit 1
fi

# nodejs and libnode108 at that version, the packages libnode108 loads modules from, and those of
# its libraries that are not installed here.
pkgs=("nodejs=$version" "libnode108=$version" node-acorn node-cjs-module-lexer node-undici)
for lib in $(apt-cache depends "libnode108=$version" 2>/dev/null | awk '/Depends: lib/ { print $2 }'); do
  dpkg -s "$lib" >/dev/null 2>&1 || pkgs+=("$lib")
done

debs=$(mktemp -d)
trap 'rm -rf "$debs"' EXIT
download() { (cd "$debs" && apt-get download -q "${pkgs[@]}" >/dev/null 2>"$debs/.err"); }
# Package lists older than the archive name files it no longer has: refresh them once.
if ! download; then
  apt-get update -qq && download || {
    cat "$debs/.err" >&2
    exit 1
  }
fi
rm -rf "$dir/root"
for deb in "$debs"/*.deb; do dpkg -x "$deb" "$dir/root"; done

cat >"$dir/node" <<EOF
#!/bin/sh
# Debian's node $version, unpacked by scripts/debian-node18.sh (see there).
exec unshare --mount --propagation private sh -c 'mount -t overlay overlay -o lowerdir=$dir/root/usr/share:/usr/share /usr/share && exec env LD_LIBRARY_PATH=$dir/root/usr/lib/x86_64-linux-gnu "\$@"' sh "$dir/root/usr/bin/node" "\$@"
EOF
chmod 755 "$dir/node"
"$dir/node" -e 'console.log(`debian-node18.sh: node ${process.version} in '"$dir"'`)'
