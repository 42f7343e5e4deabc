#!/bin/sh
# Installs a released migcov binary: the archive cargo-dist built for this machine, checked
# against its published SHA-256, unpacked into a folder of its own per version. No Rust
# toolchain needed. Used by the GitHub Action (action.yml) and the GitLab template
# (ci/migcov.gitlab-ci.yml); runs anywhere with sh, curl (or wget), tar and sha256sum (or
# shasum).
#
#   MIGCOV_VERSION   a release, e.g. 0.1.0 or v0.1.0, or `latest` (default)
#   MIGCOV_BASE_URL  where releases are: .../releases, whose archives are at
#                    <base>/download/v<version>/<archive> and <base>/latest/download/<archive>
#                    (default: https://github.com/migcov/migcov/releases)
#   MIGCOV_INSTALL_DIR  where versions are unpacked (default: ~/.migcov); a version already
#                    there is reused (the Action caches this folder)
#
# Prints the binary's folder on its last line; with GITHUB_PATH set, adds it there too.
# Exit codes: 0 installed, 1 the download or its checksum failed, 2 unsupported machine.
set -eu

version="${MIGCOV_VERSION:-latest}"
base="${MIGCOV_BASE_URL:-https://github.com/migcov/migcov/releases}"
base="${base%/}"
root="${MIGCOV_INSTALL_DIR:-$HOME/.migcov}"

fail() {
    echo "migcov install: $1" >&2
    exit "${2:-1}"
}

# The target triple of this machine, as cargo-dist names its archives.
os="$(uname -s)"
arch="$(uname -m)"
case "$arch" in
    x86_64 | amd64) arch=x86_64 ;;
    aarch64 | arm64) arch=aarch64 ;;
    *) fail "no release for the $arch architecture (x86_64 and aarch64 are built)" 2 ;;
esac
case "$os" in
    Linux) target="$arch-unknown-linux-gnu"; ext=tar.xz ;;
    Darwin) target="$arch-apple-darwin"; ext=tar.xz ;;
    MINGW* | MSYS* | CYGWIN* | Windows_NT) target="x86_64-pc-windows-msvc"; ext=zip ;;
    *) fail "no release for $os (Linux, macOS and Windows are built)" 2 ;;
esac
archive="migcov-$target.$ext"

case "$version" in
    latest) url="$base/latest/download/$archive"; folder=latest ;;
    v*) url="$base/download/$version/$archive"; folder="$version" ;;
    *) url="$base/download/v$version/$archive"; folder="v$version" ;;
esac
dir="$root/$folder"
exe=migcov
[ "$ext" = zip ] && exe=migcov.exe

if [ "$folder" != latest ] && [ -x "$dir/$exe" ]; then
    echo "migcov $folder already installed in $dir" >&2
else
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    # HTTPS only (redirects too), so the archive and its checksum cannot be swapped on
    # the way; plain HTTP only to this machine (the tests' server).
    case "$base" in
        http://127.0.0.1[:/]* | http://localhost[:/]*) protocols='=http,https' ;;
        *) protocols='=https' ;;
    esac
    fetch() {
        if command -v curl >/dev/null 2>&1; then
            curl --proto "$protocols" --proto-redir "$protocols" --tlsv1.2 -fsSL --retry 3 \
                -o "$2" "$1"
        else
            wget -q --https-only -O "$2" "$1"
        fi
    }
    fetch "$url" "$tmp/$archive" ||
        fail "no release archive at $url (is version $version published for $target?)"
    fetch "$url.sha256" "$tmp/$archive.sha256" ||
        fail "no checksum at $url.sha256: refusing an archive that cannot be checked"
    expected="$(cut -d ' ' -f 1 <"$tmp/$archive.sha256" | tr 'A-F' 'a-f')"
    if command -v sha256sum >/dev/null 2>&1; then
        actual="$(sha256sum "$tmp/$archive" | cut -d ' ' -f 1)"
    else
        actual="$(shasum -a 256 "$tmp/$archive" | cut -d ' ' -f 1)"
    fi
    [ -n "$expected" ] && [ "$expected" = "$actual" ] ||
        fail "checksum mismatch for $archive: published $expected, downloaded $actual; nothing installed"
    mkdir -p "$tmp/unpacked"
    case "$ext" in
        tar.xz) tar -xJf "$tmp/$archive" -C "$tmp/unpacked" ;;
        zip) unzip -q "$tmp/$archive" -d "$tmp/unpacked" ;;
    esac
    # cargo-dist puts the binary in a folder named after the archive, or at the top.
    found="$(find "$tmp/unpacked" -type f -name "$exe" | head -n 1)"
    [ -n "$found" ] || fail "$archive holds no $exe"
    mkdir -p "$dir"
    mv "$found" "$dir/$exe.partial"
    chmod +x "$dir/$exe.partial"
    mv "$dir/$exe.partial" "$dir/$exe"
    echo "migcov $folder installed in $dir" >&2
fi
"$dir/$exe" --version >&2 || fail "$dir/$exe does not run on this machine"
if [ -n "${GITHUB_PATH:-}" ]; then
    echo "$dir" >>"$GITHUB_PATH"
fi
echo "$dir"
