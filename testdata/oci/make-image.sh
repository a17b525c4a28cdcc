#!/usr/bin/env bash
# Build a tiny, byte-for-byte reproducible OCI image layout with umoci and
# print its manifest digest (sha256:...) on stdout. Everything else goes to stderr.
#
#   testdata/oci/make-image.sh DIR TAG [TEXT]
#
# DIR   OCI layout to create (must not exist yet, or be an empty directory)
# TAG   tag inside the layout (index.json org.opencontainers.image.ref.name)
# TEXT  content of /etc/hello.txt (default: "hello from supply testdata");
#       use a different TEXT to get a different (but equally stable) image.
# ARCH  environment variable: config architecture (default amd64), e.g. ARCH=arm64
#       for the second half of a hand-made multi-arch index (see README.md).
#
# Requires umoci (Debian package `umoci`, tested with 0.4.7). Works as root and,
# via --rootless, as an ordinary user; both give the same digest.
# Push it with e.g.
#   skopeo copy --preserve-digests oci:DIR:TAG docker://127.0.0.1:PORT/REPO:TAG --dest-tls-verify=false
set -euo pipefail

if [[ $# -lt 2 || $# -gt 3 ]]; then
  echo "usage: $0 DIR TAG [TEXT]" >&2
  exit 2
fi
dir=$1
tag=$2
text=${3:-hello from supply testdata}
arch=${ARCH:-amd64}

# Fixed timestamps: 2020-01-01T00:00:00Z.
created=2020-01-01T00:00:00Z
mtime=@1577836800

if [[ -e $dir ]] && [[ -n $(ls -A "$dir") ]]; then
  echo "$0: $dir exists and is not empty" >&2
  exit 1
fi

rootless=()
if [[ $(id -u) -ne 0 ]]; then
  rootless=(--rootless)
fi

umask 022
bundle=$(mktemp -d "${TMPDIR:-/tmp}/make-image.XXXXXX")
trap 'rm -rf "$bundle"' EXIT
rmdir "$bundle" # umoci unpack wants to create the bundle directory itself

{
  umoci init --layout "$dir"
  umoci new --image "$dir:$tag"
  # `umoci new` stamps the config with the current time and host arch: pin them.
  umoci config --image "$dir:$tag" --no-history \
    --created "$created" --architecture "$arch" --os linux
  umoci unpack "${rootless[@]}" --image "$dir:$tag" "$bundle"

  mkdir -p "$bundle/rootfs/etc"
  printf '%s\n' "$text" > "$bundle/rootfs/etc/hello.txt"
  chmod 0644 "$bundle/rootfs/etc/hello.txt"
  chmod 0755 "$bundle/rootfs/etc" "$bundle/rootfs"
  # The layer records mtimes of everything, including the rootfs directory itself.
  touch -h -d "$mtime" "$bundle/rootfs/etc/hello.txt" "$bundle/rootfs/etc" "$bundle/rootfs"

  # NOT `umoci insert`: umoci <= 0.4.7 writes insert layers without the tar
  # end-of-archive trailer (umoci issue #436, fixed by PR #534), which GNU tar
  # and Python's tarfile reject. `repack` writes a valid tar.
  umoci repack --image "$dir:$tag" \
    --history.created "$created" --history.created_by "supply testdata" "$bundle"
  # Drop the intermediate manifests/configs left behind by new/config/repack.
  umoci gc --layout "$dir"
} >&2

# index.json has exactly one manifest: the one for $tag.
digest=$(sed -n 's/.*"digest":"\(sha256:[0-9a-f]\{64\}\)".*/\1/p' "$dir/index.json")
if [[ -z $digest ]]; then
  echo "$0: could not read the manifest digest from $dir/index.json" >&2
  exit 1
fi
echo "$digest"
