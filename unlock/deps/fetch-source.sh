#!/bin/sh
# fetch-source.sh DIR BINARY-PACKAGE: unpacks into DIR/src the Debian source package that built the
# installed BINARY-PACKAGE, at exactly the installed version (for example libdevmapper1.02.1 gives
# lvm2 2.03.16-2), and prints the unpacked tree's path. Debian ships libdevmapper and libkmod only
# as shared objects; their archives are built from these trees.
# fetch-source.sh DIR --source SOURCE VERSION SUITE: that source package from that suite instead,
# whatever is installed (tpm2-tss: one version for the static TPM2 helper on every build host).
#
# apt-get runs with a private configuration under DIR/apt (a deb-src list for the mirror the host's
# apt already uses, its own lists and cache): the host's apt configuration is never changed. apt
# checks the Release signature with Debian's archive keyring and the files against its checksums;
# dpkg-source checks the .dsc again. A tree already unpacked is reused: offline after the first run.
set -eu
dir=$1 binary=$2
mkdir -p "$dir/src"
dir=$(cd "$dir" && pwd)

suite=""
if [ "$binary" = --source ]; then
	source=$3 version=$4 suite=$5
else
	installed=$(dpkg-query -W -f='${source:Package} ${source:Version}' "$binary" 2>/dev/null) || {
		echo "fetch-source.sh: $binary is not installed (make deps installs it)" >&2
		exit 1
	}
	source=${installed% *} version=${installed#* }
fi
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
codename=${suite:-$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
apt=$dir/apt${suite:+-$suite}
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
# When the mirror has the tarballs but not the .dsc (seen with kmod 34.2-2 in Debian 13): the .dsc
# is rebuilt from the package's entry in the Sources index apt has checked against the signed
# Release, the tarballs are fetched with apt's own helper, which checks each against that index's
# SHA-256, and dpkg-source checks them again against the rebuilt .dsc (which has no signature of
# its own: the index's is the one that counts).
fetch_without_dsc() {
	dsc=${source}_${version#*:}.dsc
	apt-cache "$@" showsrc "$source" | awk -v version="$version" -v dsc="$dsc" '
		/^$/ { if (found) exit; n = 0; next }
		/^Version: / { if ($2 == version) found = 1 }
		{ stanza[++n] = $0 }
		END {
			if (!found) exit 1
			for (i = 1; i <= n; i++) {
				line = stanza[i]
				if (line ~ /^[A-Za-z]/) { keep = line ~ /^(Package|Format|Binary|Architecture|Version|Checksums-Sha256|Files):/ }
				if (!keep || (line ~ /^ / && index(line, " " dsc))) continue
				sub(/^Package:/, "Source:", line)
				print line
			}
		}' >"$dir/src/$dsc" || return 1
	apt-get "$@" -qq --print-uris source "$source=$version" | tr -d "'" | while read -r uri file _ hash; do
		[ "$file" = "$dsc" ] || /usr/lib/apt/apt-helper -o APT::Sandbox::User=root download-file "$uri" "$dir/src/$file" "$hash" || exit 1
	done || return 1
	(cd "$dir/src" && dpkg-source -x "$dsc" "$(basename "$tree")")
}
rm -rf "$tree"
if ! (cd "$dir/src" && apt-get "$@" -qq source "$source=$version") >"$apt/source.log" 2>&1; then
	echo "fetch-source.sh: apt-get source $source=$version failed; trying the tarballs the signed Sources index lists" >&2
	rm -rf "$tree"
	fetch_without_dsc "$@" >>"$apt/source.log" 2>&1 ||
		fail "apt-get source failed, and so did fetching the tarballs: $(tail -n 3 "$apt/source.log" | tr '\n' ' ')"
fi
[ -d "$tree" ] || fail "apt-get source left no $tree"
touch "$tree/.unpacked-$version"
echo "$tree"
