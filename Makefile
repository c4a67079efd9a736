# SPDX-License-Identifier: GPL-2.0-or-later
CC ?= cc
CLANG ?= clang
PKGS := nettle json-c libargon2 devmapper blkid libkmod libzstd
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

# build/unlock is one static-pie program: Debian's static archives, and libdevmapper and libkmod
# built once from Debian's source packages (unlock/deps/build-libs.sh) into build/deps.
DEPS_DIR := build/deps
DEPS_LIBS := $(DEPS_DIR)/lib/libdevmapper.a $(DEPS_DIR)/lib/libkmod.a $(DEPS_DIR)/bin/lvm.static $(DEPS_DIR)/lib/libtss2.a
STATIC_PKGS := nettle json-c libargon2 blkid libzstd liblzma
STATIC_CFLAGS = -I$(DEPS_DIR)/include $(shell pkg-config --cflags $(STATIC_PKGS) 2>/dev/null)
STATIC_LIBS = $(DEPS_DIR)/lib/libdevmapper.a $(DEPS_DIR)/lib/libkmod.a $(shell pkg-config --static --libs $(STATIC_PKGS) 2>/dev/null)

WARN := -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2
HARDEN := -O2 -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fstack-clash-protection -fPIE
SECTIONS := -ffunction-sections -fdata-sections
CFLAGS ?= -g
LDHARDEN := -static-pie -Wl,-z,relro,-z,now -Wl,--gc-sections
SANITIZE := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

PREFIX ?= /usr
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man

# One folder per layer (see README.md): base, crypto, luks, dm, token, open, boot, and cmd's entry
# points; tpm2/ and pkcs11/ are the token helpers, programs of their own over tpm2-tss and p11-kit,
# and enroll/ the enrollment program beside them.
CORE_SRC := $(filter-out unlock/cmd/main.c unlock/tpm2/% unlock/pkcs11/% unlock/enroll/% unlock/token/serve.c,\
	$(wildcard unlock/*/*.c))
ALL_SRC := $(wildcard unlock/*/*.c)
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,build/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
UNIT_TESTS := $(patsubst tests/unit/%.c,build/unit/%,$(wildcard tests/unit/test_*.c))

# The TPM2 helper is static like unlock (DESIGN.md), so it runs unchanged on Debian 12 and 13 and an
# image carries no shared library for it: tpm2-tss built from Debian's source with mbedTLS as its
# crypto backend (build/deps/lib/libtss2.a, unlock/deps/build-libs.sh), Nettle for the helper's own
# hashing and base64, json-c, all from their archives. The sanitizer build links Debian's shared
# tpm2-tss instead.
TPM2_PKGS := tss2-esys tss2-mu tss2-rc tss2-tctildr json-c nettle hogweed
TPM2_STATIC_LIBS = $(DEPS_DIR)/lib/libtss2.a -l:libmbedcrypto.a $(shell pkg-config --static --libs json-c) \
	-l:libhogweed.a -l:libnettle.a -l:libgmp.a
TPM2_SRC := $(wildcard unlock/tpm2/*.c) unlock/token/message.c unlock/token/protocol.c unlock/token/serve.c \
	unlock/crypto/secret.c unlock/base/log.c unlock/base/hex.c unlock/luks/base64.c
# The fuzz target of the helper's token reader builds with the helper's libraries, not unlock's.
FUZZ_TPM2_SRC := unlock/tpm2/token.c unlock/tpm2/blob.c unlock/tpm2/rsa_pub.c unlock/tpm2/prediction.c unlock/luks/base64.c \
	unlock/token/protocol.c unlock/token/message.c unlock/crypto/secret.c unlock/base/log.c unlock/base/hex.c

# The PKCS#11 helper: modules are shared objects (DESIGN.md), so it is dynamic too; Nettle, for
# base64, is linked from its archive so that an image carries no libnettle.so for it.
PKCS11_PKGS := p11-kit-1 json-c
PKCS11_SRC := $(wildcard unlock/pkcs11/*.c) unlock/token/message.c unlock/token/protocol.c unlock/token/serve.c \
	unlock/crypto/secret.c unlock/base/log.c unlock/luks/base64.c
PKCS11_LIBS = $(shell pkg-config --libs $(PKCS11_PKGS)) -Wl,-Bstatic -lnettle -Wl,-Bdynamic
FUZZ_PKCS11_SRC := unlock/pkcs11/token.c unlock/pkcs11/ec_point.c unlock/luks/base64.c

# Enrollment on the installed system: the helpers' TPM and PKCS#11 code, and libcryptsetup, which writes
# the header; OpenSSL for sealing without the TPM. It links the same tpm2-tss archive as the helper.
ENROLL_SRC := $(wildcard unlock/enroll/*.c) $(filter-out unlock/tpm2/main.c,$(wildcard unlock/tpm2/*.c)) \
	unlock/pkcs11/find.c unlock/token/protocol.c unlock/token/message.c unlock/crypto/secret.c unlock/base/log.c \
	unlock/open/prompt.c unlock/open/keyfile.c unlock/luks/base64.c unlock/base/hex.c
ENROLL_PKGS := $(TPM2_PKGS) libcryptsetup p11-kit-1 libcrypto
ENROLL_DYNAMIC_PKGS := json-c libcryptsetup p11-kit-1 libcrypto
HELPER_CFLAGS = $(shell pkg-config --cflags $(ENROLL_PKGS) $(PKCS11_PKGS) 2>/dev/null)

# Each source is compiled once per flavour into build/obj/FLAVOUR/ (with its header dependencies
# in a .d file beside it), and every program of that flavour links those objects:
#   release: the hardened programs (static unlock, the dynamic helpers) and the test tool;
#   asan:    the sanitizer programs and the unit tests;
#   fuzz:    the fuzz targets (libFuzzer's coverage, the sanitizers).
RELEASE_CFLAGS = $(WARN) $(HARDEN) $(SECTIONS) $(CFLAGS) -Iunlock $(STATIC_CFLAGS) $(HELPER_CFLAGS)
ASAN_CFLAGS = $(WARN) -O1 -g $(SANITIZE) -Iunlock $(PKG_CFLAGS) $(HELPER_CFLAGS)
FUZZ_CFLAGS = -std=gnu11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer-no-link,address,undefined -Iunlock $(PKG_CFLAGS) \
	$(HELPER_CFLAGS)
objs = $(patsubst %.c,build/obj/$(1)/%.o,$(2))

build/obj/release/%.o: %.c Makefile | $(DEPS_LIBS)
	@mkdir -p $(@D)
	$(CC) $(RELEASE_CFLAGS) -MMD -MP -c -o $@ $<

build/obj/asan/%.o: %.c Makefile
	@mkdir -p $(@D)
	$(CC) $(ASAN_CFLAGS) -MMD -MP -c -o $@ $<

build/obj/fuzz/%.o: %.c Makefile
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<

-include $(wildcard build/obj/*/unlock/*/*.d build/obj/*/tests/*/*.d)

# The core as an archive per flavour: a program or test takes the objects it uses.
define core_archive
build/obj/$(1)/libcore.a: $(call objs,$(1),$(CORE_SRC))
	@rm -f $$@
	ar rcs $$@ $$^
endef
$(foreach flavour,release asan fuzz,$(eval $(call core_archive,$(flavour))))

.PHONY: all check demo deps fuzz fuzz-build bench install clean
.SECONDARY:

all: build/unlock build/unlock-mkinitrd build/unlock-tpm2 build/unlock-pkcs11 build/unlock-enroll

HELPER_LDFLAGS := -pie -Wl,-z,relro,-z,now -Wl,--as-needed

build/unlock-enroll: $(call objs,release,$(ENROLL_SRC)) $(DEPS_DIR)/lib/libtss2.a
	$(CC) $(HARDEN) $(CFLAGS) -o $@ $(call objs,release,$(ENROLL_SRC)) $(HELPER_LDFLAGS) $(LDFLAGS) \
		$(DEPS_DIR)/lib/libtss2.a -l:libmbedcrypto.a -l:libhogweed.a -l:libnettle.a -l:libgmp.a \
		$(shell pkg-config --libs $(ENROLL_DYNAMIC_PKGS))

build/unlock-tpm2: $(call objs,release,$(TPM2_SRC)) $(DEPS_DIR)/lib/libtss2.a
	$(CC) $(HARDEN) $(CFLAGS) -o $@ $(call objs,release,$(TPM2_SRC)) $(LDHARDEN) $(LDFLAGS) $(TPM2_STATIC_LIBS)

build/unlock-pkcs11: $(call objs,release,$(PKCS11_SRC))
	$(CC) $(HARDEN) $(CFLAGS) -o $@ $^ $(HELPER_LDFLAGS) $(LDFLAGS) $(PKCS11_LIBS)

build/unlock-mkinitrd: mkinitrd/unlock-mkinitrd
	@mkdir -p build
	install -m 0755 $< $@

build/unlock: build/obj/release/unlock/cmd/main.o build/obj/release/libcore.a $(filter %.a,$(DEPS_LIBS))
	$(CC) $(HARDEN) $(CFLAGS) -o $@ $(filter-out $(DEPS_DIR)/%,$^) $(LDHARDEN) $(LDFLAGS) $(STATIC_LIBS) -lpthread

# Fetched and built once (the only step that needs the network); delete build/deps/lib to redo.
$(DEPS_LIBS) &:
	@CC="$(CC)" CFLAGS="$(HARDEN) $(SECTIONS) $(CFLAGS)" unlock/deps/build-libs.sh $(DEPS_DIR)

# The same programs under AddressSanitizer and UndefinedBehaviorSanitizer, for the test suites
# (the helpers next to the program that finds them there).
build/asan/unlock: build/obj/asan/unlock/cmd/main.o build/obj/asan/libcore.a
	@mkdir -p $(@D)
	$(CC) $(SANITIZE) -o $@ $^ $(PKG_LIBS) -lpthread

build/asan/unlock-tpm2: $(call objs,asan,$(TPM2_SRC))
	@mkdir -p $(@D)
	$(CC) $(SANITIZE) -o $@ $^ $(shell pkg-config --libs $(TPM2_PKGS))

build/asan/unlock-pkcs11: $(call objs,asan,$(PKCS11_SRC))
	@mkdir -p $(@D)
	$(CC) $(SANITIZE) -o $@ $^ $(PKCS11_LIBS)

build/asan/unlock-enroll: $(call objs,asan,$(ENROLL_SRC))
	@mkdir -p $(@D)
	$(CC) $(SANITIZE) -o $@ $^ $(shell pkg-config --libs $(ENROLL_PKGS))

build/unit/%: build/obj/asan/tests/unit/%.o build/obj/asan/libcore.a
	@mkdir -p $(@D)
	$(CC) $(SANITIZE) -o $@ $^ $(PKG_LIBS) -lcrypto -lcmocka -lpthread

# Test helper: encrypts or decrypts sectors with a known key (makes test disks, checks payloads).
build/sector-crypt: build/obj/release/tests/tools/sector-crypt.o build/obj/release/libcore.a
	$(CC) $(HARDEN) -o $@ $^ -pie $(PKG_LIBS) -lpthread

build/fuzz/tpm2_token: build/obj/fuzz/tests/fuzz/fuzz_tpm2_token.o $(call objs,fuzz,$(FUZZ_TPM2_SRC))
	@mkdir -p $(@D)
	$(CLANG) -fsanitize=fuzzer,address,undefined -o $@ $^ $(shell pkg-config --libs json-c tss2-mu hogweed nettle)

build/fuzz/pkcs11_token: build/obj/fuzz/tests/fuzz/fuzz_pkcs11_token.o $(call objs,fuzz,$(FUZZ_PKCS11_SRC))
	@mkdir -p $(@D)
	$(CLANG) -fsanitize=fuzzer,address,undefined -o $@ $^ $(shell pkg-config --libs json-c) -lnettle

build/fuzz/%: build/obj/fuzz/tests/fuzz/fuzz_%.o build/obj/fuzz/libcore.a
	@mkdir -p $(@D)
	$(CLANG) -fsanitize=fuzzer,address,undefined -o $@ $^ $(PKG_LIBS) -lpthread

deps:
	@tests/deps.sh

# Built in parallel unless make was given -j itself.
PARALLEL = $(if $(findstring j,$(filter-out --%,$(MAKEFLAGS))),,-j$(shell nproc))

check: deps
	@$(MAKE) --no-print-directory $(PARALLEL) all build/asan/unlock build/asan/unlock-tpm2 build/asan/unlock-pkcs11 build/asan/unlock-enroll build/sector-crypt $(UNIT_TESTS) $(FUZZ_TARGETS)
	@tests/run-all.sh

demo: deps
	@$(MAKE) --no-print-directory $(PARALLEL) all build/sector-crypt
	@tests/demo.sh

fuzz-build: $(FUZZ_TARGETS)

fuzz: deps fuzz-build
	@FUZZ_SECONDS=$${FUZZ_SECONDS:-300} tests/fuzz/run.sh

bench: deps all build/sector-crypt
	@tests/bench/bench.sh
	@tests/bench/boot-bench.sh
	@tests/bench/generators-bench.sh

# Programs and shared logic under PREFIX; the dracut module and the initramfs-tools hook where
# those generators look for them (they do not look under another prefix). Installed scripts get
# the installed paths; the paths inside an image stay /usr/sbin/unlock and /usr/lib/unlock.
LIBDIR ?= $(PREFIX)/lib/unlock
DOCDIR ?= $(PREFIX)/share/doc/unlock
DRACUTMODDIR ?= /usr/lib/dracut/modules.d/90unlock
INITRAMFSTOOLSDIR ?= /usr/share/initramfs-tools
INSTALL_PATHS = sed -e 's|:-/usr/sbin/unlock}|:-$(SBINDIR)/unlock}|' -e 's|:-/usr/lib/unlock/|:-$(LIBDIR)/|' \
	-e 's|^\(\t*\)HOOKS=/usr/lib/unlock/hooks$$|\1HOOKS=$(LIBDIR)/hooks|'

install: build/unlock build/unlock-mkinitrd build/unlock-tpm2 build/unlock-pkcs11 build/unlock-enroll
	install -D -m 0755 build/unlock $(DESTDIR)$(SBINDIR)/unlock
	install -d $(DESTDIR)$(LIBDIR)/hooks $(DESTDIR)$(DRACUTMODDIR) $(DESTDIR)$(INITRAMFSTOOLSDIR)/hooks \
		$(DESTDIR)$(INITRAMFSTOOLSDIR)/scripts/local-top
	$(INSTALL_PATHS) mkinitrd/unlock-mkinitrd >$(DESTDIR)$(SBINDIR)/unlock-mkinitrd
	chmod 0755 $(DESTDIR)$(SBINDIR)/unlock-mkinitrd
	install -m 0644 hooks/unlock-files.sh $(DESTDIR)$(LIBDIR)/hooks/unlock-files.sh
	install -m 0755 hooks/unlock-rebuild $(DESTDIR)$(LIBDIR)/unlock-rebuild
	install -m 0755 $(DEPS_DIR)/bin/lvm.static $(DESTDIR)$(LIBDIR)/lvm.static
	install -m 0755 build/unlock-tpm2 $(DESTDIR)$(LIBDIR)/unlock-tpm2
	install -m 0755 build/unlock-pkcs11 $(DESTDIR)$(LIBDIR)/unlock-pkcs11
	install -m 0755 build/unlock-enroll $(DESTDIR)$(LIBDIR)/unlock-enroll
	$(INSTALL_PATHS) dracut/90unlock/module-setup.sh >$(DESTDIR)$(DRACUTMODDIR)/module-setup.sh
	chmod 0755 $(DESTDIR)$(DRACUTMODDIR)/module-setup.sh
	install -m 0755 dracut/90unlock/unlock-boot.sh $(DESTDIR)$(DRACUTMODDIR)/unlock-boot.sh
	install -m 0644 dracut/90unlock/unlock.service $(DESTDIR)$(DRACUTMODDIR)/unlock.service
	$(INSTALL_PATHS) initramfs-tools/hooks/unlock >$(DESTDIR)$(INITRAMFSTOOLSDIR)/hooks/unlock
	chmod 0755 $(DESTDIR)$(INITRAMFSTOOLSDIR)/hooks/unlock
	install -m 0755 initramfs-tools/scripts/local-top/unlock $(DESTDIR)$(INITRAMFSTOOLSDIR)/scripts/local-top/unlock
	install -D -m 0644 docs/unlock.8 $(DESTDIR)$(MANDIR)/man8/unlock.8
	install -D -m 0644 docs/unlock-mkinitrd.8 $(DESTDIR)$(MANDIR)/man8/unlock-mkinitrd.8
	install -D -m 0644 docs/unlock-boot.7 $(DESTDIR)$(MANDIR)/man7/unlock-boot.7
	install -D -m 0644 docs/unlock-check.schema.json $(DESTDIR)$(DOCDIR)/unlock-check.schema.json

clean:
	rm -rf build
