#!/bin/sh
# build-libs.sh DIR: static archives of the two libraries Debian ships only as shared objects,
# built from Debian's source packages of the installed versions (fetch-source.sh) with the boot's
# needs and nothing more, and the compiler flags in CC and CFLAGS (the program's hardening):
#   DIR/lib/libdevmapper.a  lvm2's libdm: no selinux, no udev sync, no readline, no NLS
#   DIR/bin/lvm.static      lvm2's lvm from the same build, static (for images that need LVM)
#   DIR/lib/libkmod.a       kmod's libkmod: plain modules, xz-compressed (Debian 13), zstd-compressed
#                           (Ubuntu, Fedora, Arch) ones; no zlib (94 KB more for gzip's, which no target
#                           distribution uses) and no openssl
#   DIR/lib/libtss2.a       tpm2-tss's ESAPI, SAPI, marshalling, error decoding and its device and
#                           swtpm TCTIs (loaded without dlopen), mbedTLS as its crypto backend
#                           (TSS2_CRYPTO=ossl for OpenSSL), no logging; from Debian 13's source package
#                           on every build host (Debian 12's orig tarball is gone from the mirror)
# with their headers in DIR/include. Each is built once; delete DIR/lib to build again.
set -eu
dir=$1
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir/lib" "$dir/include"
dir=$(cd "$dir" && pwd)
CC=${CC:-cc}
CFLAGS=${CFLAGS:--O2}
jobs=$(nproc 2>/dev/null || echo 2)

# lvm2 configured for the boot, with Debian's paths (/etc/lvm, /run/lvm): its libdm, and lvm.static,
# the lvm an image carries when its volumes need LVM (1.3 MB compressed against 4.5 MB for
# Debian's lvm with its 21 libraries, measured with zstd -9).
build_lvm2() {
	tree=$("$here/fetch-source.sh" "$dir" libdevmapper1.02.1)
	echo "build-libs.sh: libdevmapper.a and lvm.static from $(basename "$tree")" >&2
	(
		cd "$tree"
		./configure --prefix=/usr --sysconfdir=/etc --with-default-system-dir=/etc/lvm \
			--with-default-run-dir=/run/lvm --with-default-locking-dir=/run/lock/lvm --with-default-pid-dir=/run \
			--enable-static_link --disable-selinux --disable-udev_sync --disable-readline \
			--disable-nls --disable-blkid_wiping --disable-dmeventd --disable-use-lvmlockd \
			--disable-use-lvmpolld CC="$CC" CFLAGS="$CFLAGS" >"$dir/lvm2-configure.log" 2>&1 &&
			make -j"$jobs" >"$dir/lvm2-make.log" 2>&1
	) || {
		echo "build-libs.sh: building lvm2 failed; see $dir/lvm2-configure.log and $dir/lvm2-make.log" >&2
		exit 1
	}
	cp "$tree/libdm/libdevmapper.h" "$dir/include/libdevmapper.h"
	cp "$tree/libdm/ioctl/libdevmapper.a" "$dir/lib/libdevmapper.a"
	mkdir -p "$dir/bin"
	strip -o "$dir/bin/lvm.static" "$tree/tools/lvm.static"
}

# kmod 30 (Debian 12) has no configure script in its source package (autogen.sh needs gtk-doc,
# which it lacks) and builds no static library: its library's own files are compiled here with the
# configuration a glibc system gets from configure, the decompressors linked in.
build_libkmod_30() {
	tree=$1 obj=$dir/kmod-obj
	rm -rf "$obj"
	mkdir -p "$obj"
	cat >"$obj/config.h" <<'EOF'
#define _GNU_SOURCE 1
#define ENABLE_LOGGING 1
#define ENABLE_XZ 1
#define ENABLE_ZSTD 1
#define HAVE_DECL_BE32TOH 1
#define HAVE_DECL_STRNDUPA 1
#define HAVE_LINUX_MODULE_H 1
#define HAVE_NORETURN 1
#define HAVE_SECURE_GETENV 1
#define HAVE_STATIC_ASSERT 1
#define HAVE_STRUCT_STAT_ST_MTIM 1
#define HAVE___BUILTIN_UADDL_OVERFLOW 1
#define HAVE___BUILTIN_UADDLL_OVERFLOW 1
#define KMOD_FEATURES "+XZ +ZSTD"
#define PACKAGE "kmod"
#define VERSION "30"
EOF
	for src in libkmod/libkmod.c libkmod/libkmod-builtin.c libkmod/libkmod-list.c libkmod/libkmod-config.c \
		libkmod/libkmod-index.c libkmod/libkmod-module.c libkmod/libkmod-file.c libkmod/libkmod-elf.c \
		libkmod/libkmod-signature.c shared/array.c shared/hash.c shared/scratchbuf.c shared/strbuf.c \
		shared/util.c; do
		# shellcheck disable=SC2086 # CFLAGS is a list of flags
		$CC $CFLAGS -include "$obj/config.h" -I"$tree" -DSYSCONFDIR='"/etc"' \
			-c "$tree/$src" -o "$obj/$(echo "$src" | tr / _ | sed 's/\.c$/.o/')" 2>>"$dir/kmod-make.log" || {
			echo "build-libs.sh: compiling kmod's $src failed; see $dir/kmod-make.log" >&2
			exit 1
		}
	done
	rm -f "$dir/lib/libkmod.a"
	ar rcs "$dir/lib/libkmod.a" "$obj"/*.o
}

# kmod 34 (Debian 13) builds with meson. Its libkmod is a shared library only; the static archive
# its tools link (libkmod-internal.a, the same objects) and its shared helpers (libshared.a) make
# ours. Debian's own build loads the decompressors with dlopen, which a static PID 1 cannot: here
# they are linked in. Where the kernel decompresses modules itself (/sys/module/compression names
# the algorithm, as on Debian 13's kernel), kmod 34 hands it the compressed file instead.
build_libkmod_meson() {
	tree=$1 obj=$dir/kmod-obj
	rm -rf "$obj"
	(
		cd "$tree" &&
			CC="$CC" CFLAGS="$CFLAGS" meson setup "$obj" --default-library=static -Dtools=false -Dmanpages=false \
				-Ddocs=false -Dbuild-tests=false -Dopenssl=disabled -Dzlib=disabled -Dxz=enabled -Dzstd=enabled \
				-Ddlopen=[] -Dbashcompletiondir=no -Dfishcompletiondir=no -Dzshcompletiondir=no &&
			ninja -C "$obj" libkmod-internal.a libshared.a
	) >"$dir/kmod-make.log" 2>&1 || {
		echo "build-libs.sh: building kmod's libkmod failed; see $dir/kmod-make.log" >&2
		exit 1
	}
	rm -f "$dir/lib/libkmod.a"
	find "$obj" \( -path '*/libkmod.so*.p/*.o' -o -path '*/libshared.a.p/*.o' \) -print0 | sort -z |
		xargs -0 ar rcs "$dir/lib/libkmod.a"
}

build_libkmod() {
	tree=$("$here/fetch-source.sh" "$dir" libkmod2)
	echo "build-libs.sh: libkmod.a from $(basename "$tree")" >&2
	if [ -f "$tree/meson.build" ]; then
		build_libkmod_meson "$tree"
	else
		build_libkmod_30 "$tree"
	fi
	cp "$tree/libkmod/libkmod.h" "$dir/include/libkmod.h"
}

# tpm2-tss: its autotools build needs a bootstrap from git and configures much the helper does not use
# (FAPI, policy, a dozen TCTIs); the library's own files the helper needs are compiled here with the
# configuration they read (config.h), as for kmod 30.
TSS2_SOURCE_VERSION=4.1.3-1.2
build_tpm2_tss() {
	tree=$("$here/fetch-source.sh" "$dir" --source tpm2-tss "$TSS2_SOURCE_VERSION" trixie)
	crypto=${TSS2_CRYPTO:-mbed}
	echo "build-libs.sh: libtss2.a from $(basename "$tree") with the $crypto crypto backend" >&2
	obj=$dir/tss2-obj
	rm -rf "$obj"
	mkdir -p "$obj" "$dir/include/tss2"
	cat >"$obj/config.h" <<EOF
#define $(echo "$crypto" | tr a-z A-Z) 1
#define NO_DL 1
#define TCTI_DEVICE 1
#define TCTI_SWTPM 1
#define MAXLOGLEVEL 0
#define DISABLE_VENDOR 1
#define SYSCONFDIR "/etc"
#define VERSION "${TSS2_SOURCE_VERSION%-*}"
EOF
	for src in "$tree"/src/tss2-esys/api/*.c "$tree"/src/tss2-sys/api/*.c "$tree"/src/tss2-mu/*.c \
		"$tree"/src/tss2-esys/esys_context.c "$tree"/src/tss2-esys/esys_crypto.c \
		"$tree/src/tss2-esys/esys_crypto_$crypto.c" "$tree"/src/tss2-esys/esys_free.c \
		"$tree"/src/tss2-esys/esys_iutil.c "$tree"/src/tss2-esys/esys_mu.c "$tree"/src/tss2-esys/esys_tr.c \
		"$tree"/src/tss2-sys/sysapi_util.c "$tree"/src/tss2-rc/tss2_rc.c "$tree"/src/tss2-tcti/tcti-common.c \
		"$tree"/src/tss2-tcti/tcti-device.c "$tree"/src/tss2-tcti/tcti-swtpm.c "$tree"/src/tss2-tcti/tctildr.c \
		"$tree"/src/tss2-tcti/tctildr-nodl.c "$tree"/src/util/log.c "$tree"/src/util/key-value-parse.c \
		"$tree"/src/util-io/io.c "$here/tss2-numeric-addr.c"; do
		printf '%s\n' "$src"
	done | CC=$CC CFLAGS=$CFLAGS xargs -P "$jobs" -I{} sh -c 'o=$(echo "${1#"$2"/src/}" | tr / _ | sed "s/\.c$/.o/")
		# each TCTI names its dlopen entry point Tss2_Tcti_Info: linked together, they need names of their own
		# and the swtpm TCTI resolves numeric addresses only (tss2-numeric-addr.c says why)
		case $1 in
		*/tcti-device.c) info=-DTss2_Tcti_Info=Tss2_Tcti_Device_Info ;;
		*/tcti-swtpm.c) info=-DTss2_Tcti_Info=Tss2_Tcti_Swtpm_Info ;;
		*/io.c) info="-Dgetaddrinfo=tss2_numeric_getaddrinfo -Dfreeaddrinfo=tss2_numeric_freeaddrinfo" ;;
		*) info= ;;
		esac
		# shellcheck disable=SC2086 # CFLAGS is a list of flags
		$CC $CFLAGS -w -DHAVE_CONFIG_H $info -I"$3" -I"$2/include/tss2" -I"$2/src" -I"$2/src/tss2-esys" \
			-I"$2/src/tss2-sys" -I"$2/src/tss2-tcti" -c "$1" -o "$3/$o"' tss2 {} "$tree" "$obj" 2>"$dir/tss2-make.log" || {
		echo "build-libs.sh: compiling tpm2-tss failed; see $dir/tss2-make.log" >&2
		exit 1
	}
	rm -f "$dir/lib/libtss2.a"
	ar rcs "$dir/lib/libtss2.a" "$obj"/*.o
	cp "$tree"/include/tss2/*.h "$dir/include/tss2/"
}

if [ ! -f "$dir/lib/libdevmapper.a" ] || [ ! -f "$dir/bin/lvm.static" ]; then build_lvm2; fi
[ -f "$dir/lib/libkmod.a" ] || build_libkmod
[ -f "$dir/lib/libtss2.a" ] || build_tpm2_tss
