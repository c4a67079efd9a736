#!/bin/sh
# fetch-source.sh DIR BINARY-PACKAGE: unpacks into DIR/src the Debian source package that built the
# installed BINARY-PACKAGE, at exactly the installed version (for example libdevmapper1.02.1 gives
# lvm2 2.03.16-2), and prints the unpacked tree's path. Debian ships libdevmapper and libkmod only
# as shared objects; their archives are built from these trees.
#
# apt-get runs with a private configuration under DIR/apt (a deb-src list for the mirror the host's
# apt already uses, its own lists and cache): the host's apt configuration is never changed. apt
# checks the Release signature with Debian's archive keyring and the files against its checksums;
# dpkg-source checks the .dsc again. A tree already unpacked is reused: offline after the first run.
set -eu
dir=$1 binary=$2
mkdir -p "$dir/src"
dir=$(cd "$dir" && pwd)

installed=$(dpkg-query -W -f='${source:Package} ${source:Version}' "$binary" 2>/dev/null) || {
	echo "fetch-source.sh: $binary is not installed (make deps installs it)" >&2
	exit 1
}
source=${installed% *} version=${installed#* }
upstream=${version#*:}
upstream=${upstream%-*}
tree=$dir/src/$source-$upstream
if [ -f "$tree/.unpacked-$version" ]; then
	echo "$tree"
	exit 0
fi

# The first Debian mirror the host's apt uses (deb822 or one-line lists), for the same suites.
mirror=$(
	{
		sed -n 's|^URIs:[[:space:]]*\([^[:space:]]*\).*|\1|p' /etc/apt/sources.list.d/*.sources 2>/dev/null
		sed -n 's|^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\{0,1\}\([^[:space:]]*\).*|\2|p' \
			/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null
	} | grep -v security | head -n 1
)
mirror=${DEBIAN_MIRROR:-${mirror:-http://deb.debian.org/debian}}
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
apt=$dir/apt
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/parts" "$apt/prefs.d"
cat >"$apt/sources.list" <<EOF
deb-src [signed-by=$keyring] $mirror $codename main
deb-src [signed-by=$keyring] $mirror $codename-updates main
deb-src [signed-by=$keyring] ${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security} $codename-security main
EOF
set -- -o Dir::Etc::SourceList="$apt/sources.list" -o Dir::Etc::SourceParts="$apt/parts" \
	-o Dir::Etc::PreferencesParts="$apt/prefs.d" -o Dir::State::Lists="$apt/lists" \
	-o Dir::Cache="$apt/cache" -o Debug::NoLocking=1 -o APT::Sandbox::User=root

fail() {
	echo "fetch-source.sh: could not get the Debian source package $source $version ($1)." >&2
	echo "  The private source list is $apt/sources.list (mirror $mirror; set DEBIAN_MIRROR to another)." >&2
	echo "  To build offline, put $source's .dsc and its tarballs into $dir/src and run:" >&2
	echo "    cd $dir/src && dpkg-source -x ${source}_${version#*:}.dsc $source-$upstream && touch $tree/.unpacked-$version" >&2
	exit 1
}
apt-get "$@" -qq update >"$apt/update.log" 2>&1 || fail "apt-get update failed: $(tail -n 3 "$apt/update.log" | tr '\n' ' ')"
rm -rf "$tree"
(cd "$dir/src" && apt-get "$@" -qq source "$source=$version") >"$apt/source.log" 2>&1 ||
	fail "apt-get source failed: $(tail -n 3 "$apt/source.log" | tr '\n' ' ')"
[ -d "$tree" ] || fail "apt-get source left no $tree"
touch "$tree/.unpacked-$version"
echo "$tree"
