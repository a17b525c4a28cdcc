#!/usr/bin/env bash
# Installs the C API: scripts/install-c-api.sh PREFIX [debug|release]
#   PREFIX/include/supply.h
#   PREFIX/lib/libsupply.so.X.Y.Z, with the links libsupply.so.<SONAME suffix> and libsupply.so
#   PREFIX/lib/libsupply.a
#   PREFIX/lib/pkgconfig/supply.pc (shared) and supply-static.pc (static)
# Builds the library first (release by default) unless SUPPLY_SKIP_BUILD=1.
set -euo pipefail
cd "$(dirname "$0")/.."

prefix=${1:?usage: scripts/install-c-api.sh PREFIX [debug|release]}
profile=${2:-release}
case "$profile" in
    debug) cargo_profile=() ;;
    release) cargo_profile=(--release) ;;
    *) echo "profile must be debug or release, not $profile" >&2; exit 2 ;;
esac
if [[ "${SUPPLY_SKIP_BUILD:-}" != 1 ]]; then
    cargo build -p supply-ffi --locked "${cargo_profile[@]}"
fi
target=${CARGO_TARGET_DIR:-$PWD/target}/$profile
version=$(sed -n 's/^#define SUPPLY_VERSION "\(.*\)"$/\1/p' crates/supply-ffi/include/supply.h)
[[ -n "$version" ]] || { echo "no SUPPLY_VERSION in include/supply.h" >&2; exit 1; }
# The SONAME the build gave the library (build.rs), read back rather than recomputed.
soname=$(readelf -d "$target/libsupply.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[[ -n "$soname" ]] || { echo "$target/libsupply.so has no SONAME" >&2; exit 1; }

mkdir -p "$prefix/include" "$prefix/lib/pkgconfig"
prefix=$(cd "$prefix" && pwd)
install -m 644 crates/supply-ffi/include/supply.h "$prefix/include/"
install -m 755 "$target/libsupply.so" "$prefix/lib/libsupply.so.$version"
ln -sf "libsupply.so.$version" "$prefix/lib/$soname"
ln -sf "$soname" "$prefix/lib/libsupply.so"
install -m 644 "$target/libsupply.a" "$prefix/lib/"
for pc in supply supply-static; do
    sed -e "s|@PREFIX@|$prefix|" -e "s|@VERSION@|$version|" \
        "crates/supply-ffi/pkgconfig/$pc.pc.in" >"$prefix/lib/pkgconfig/$pc.pc"
done
echo "installed supply $version into $prefix"
