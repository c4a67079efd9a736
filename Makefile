# SPDX-License-Identifier: GPL-2.0-or-later
CC ?= cc
CLANG ?= clang
PKGS := nettle json-c libargon2 devmapper blkid libkmod
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

# build/unlock is one static-pie program: Debian's static archives, and libdevmapper and libkmod
# built once from Debian's source packages (unlock/deps/build-libs.sh) into build/deps.
DEPS_DIR := build/deps
DEPS_LIBS := $(DEPS_DIR)/lib/libdevmapper.a $(DEPS_DIR)/lib/libkmod.a $(DEPS_DIR)/bin/lvm.static
STATIC_PKGS := nettle json-c libargon2 blkid libzstd
STATIC_CFLAGS = -I$(DEPS_DIR)/include $(shell pkg-config --cflags $(STATIC_PKGS) 2>/dev/null)
STATIC_LIBS = $(filter %.a,$(DEPS_LIBS)) $(shell pkg-config --static --libs $(STATIC_PKGS) 2>/dev/null)

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
# points; tpm2/ is the TPM2 token helper, a program of its own over tpm2-tss, and enroll/ the
# enrollment program beside it.
CORE_SRC := $(filter-out unlock/cmd/main.c unlock/tpm2/% unlock/enroll/%,$(wildcard unlock/*/*.c))
UNLOCK_SRC := unlock/cmd/main.c $(CORE_SRC)
HEADERS := $(wildcard unlock/*/*.h)
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,build/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
# The fuzz target of the helper's token reader builds with the helper's libraries, not unlock's.
FUZZ_TPM2_SRC := unlock/tpm2/token.c
UNIT_TESTS := $(patsubst tests/unit/%.c,build/unit/%,$(wildcard tests/unit/test_*.c))

.PHONY: all check demo deps fuzz fuzz-build bench install clean

# The token helper links tpm2-tss, which Debian ships only shared (DESIGN.md): dynamic, hardened.
TPM2_PKGS := tss2-esys tss2-mu tss2-rc tss2-tctildr json-c libcrypto
TPM2_SRC := $(wildcard unlock/tpm2/*.c) unlock/token/message.c unlock/token/protocol.c unlock/crypto/secret.c \
	unlock/base/log.c

# Enrollment on the installed system: the helper's TPM code and libcryptsetup, which writes the header.
ENROLL_SRC := $(wildcard unlock/enroll/*.c) $(filter-out unlock/tpm2/main.c,$(wildcard unlock/tpm2/*.c)) \
	unlock/token/protocol.c unlock/token/message.c unlock/crypto/secret.c unlock/base/log.c \
	unlock/open/prompt.c unlock/open/keyfile.c
ENROLL_PKGS := $(TPM2_PKGS) libcryptsetup

all: build/unlock build/unlock-mkinitrd build/unlock-tpm2 build/unlock-enroll

build/unlock-enroll: $(ENROLL_SRC) $(HEADERS) Makefile
	@mkdir -p build
	$(CC) $(WARN) $(HARDEN) $(CFLAGS) -Iunlock $(shell pkg-config --cflags $(ENROLL_PKGS)) -o $@ $(ENROLL_SRC) \
		-pie -Wl,-z,relro,-z,now -Wl,--as-needed $(LDFLAGS) $(shell pkg-config --libs $(ENROLL_PKGS))

build/unlock-tpm2: $(TPM2_SRC) $(HEADERS) Makefile
	@mkdir -p build
	$(CC) $(WARN) $(HARDEN) $(CFLAGS) -Iunlock $(shell pkg-config --cflags $(TPM2_PKGS)) -o $@ $(TPM2_SRC) \
		-pie -Wl,-z,relro,-z,now -Wl,--as-needed $(LDFLAGS) $(shell pkg-config --libs $(TPM2_PKGS))

build/unlock-mkinitrd: mkinitrd/unlock-mkinitrd
	@mkdir -p build
	install -m 0755 $< $@

build/unlock: $(UNLOCK_SRC) $(HEADERS) Makefile | $(DEPS_LIBS)
	@mkdir -p build
	$(CC) $(WARN) $(HARDEN) $(SECTIONS) $(CFLAGS) -Iunlock $(STATIC_CFLAGS) -o $@ $(UNLOCK_SRC) $(LDHARDEN) $(LDFLAGS) $(STATIC_LIBS) -lpthread

# Fetched and built once (the only step that needs the network); delete build/deps/lib to redo.
$(DEPS_LIBS) &:
	@CC="$(CC)" CFLAGS="$(HARDEN) $(SECTIONS) $(CFLAGS)" unlock/deps/build-libs.sh $(DEPS_DIR)

# The same program under AddressSanitizer and UndefinedBehaviorSanitizer, for the test suites.
build/asan/unlock: $(UNLOCK_SRC) $(HEADERS) Makefile
	@mkdir -p build/asan
	$(CC) $(WARN) -O1 -g $(SANITIZE) -Iunlock $(PKG_CFLAGS) -o $@ $(UNLOCK_SRC) $(PKG_LIBS) -lpthread

# The helper under the same sanitizers, next to the program that finds it there.
build/asan/unlock-tpm2: $(TPM2_SRC) $(HEADERS) Makefile
	@mkdir -p build/asan
	$(CC) $(WARN) -O1 -g $(SANITIZE) -Iunlock $(shell pkg-config --cflags $(TPM2_PKGS)) -o $@ $(TPM2_SRC) $(shell pkg-config --libs $(TPM2_PKGS))

build/asan/unlock-enroll: $(ENROLL_SRC) $(HEADERS) Makefile
	@mkdir -p build/asan
	$(CC) $(WARN) -O1 -g $(SANITIZE) -Iunlock $(shell pkg-config --cflags $(ENROLL_PKGS)) -o $@ $(ENROLL_SRC) $(shell pkg-config --libs $(ENROLL_PKGS))

build/unit/%: tests/unit/%.c $(CORE_SRC) $(HEADERS) Makefile
	@mkdir -p build/unit
	$(CC) $(WARN) -O1 -g $(SANITIZE) -Iunlock $(PKG_CFLAGS) -o $@ $< $(CORE_SRC) $(PKG_LIBS) -lcrypto -lcmocka -lpthread

# Test helper: encrypts or decrypts sectors with a known key (makes test disks, checks payloads).
build/sector-crypt: tests/tools/sector-crypt.c $(CORE_SRC) $(HEADERS) Makefile
	$(CC) $(WARN) -O2 -g -Iunlock $(PKG_CFLAGS) -o $@ $< $(CORE_SRC) $(PKG_LIBS) -lpthread

build/fuzz/tpm2_token: tests/fuzz/fuzz_tpm2_token.c $(FUZZ_TPM2_SRC) $(HEADERS) Makefile
	@mkdir -p build/fuzz
	$(CLANG) -std=gnu11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -Iunlock $(shell pkg-config --cflags json-c) -o $@ $< $(FUZZ_TPM2_SRC) $(shell pkg-config --libs json-c libcrypto)

build/fuzz/%: tests/fuzz/fuzz_%.c $(CORE_SRC) $(HEADERS) Makefile
	@mkdir -p build/fuzz
	$(CLANG) -std=gnu11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -Iunlock $(PKG_CFLAGS) -o $@ $< $(CORE_SRC) $(PKG_LIBS) -lpthread

deps:
	@tests/deps.sh

check: deps
	@$(MAKE) --no-print-directory all build/asan/unlock build/asan/unlock-tpm2 build/asan/unlock-enroll build/sector-crypt $(UNIT_TESTS) $(FUZZ_TARGETS)
	@tests/run-all.sh

demo: deps all build/sector-crypt
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

install: build/unlock build/unlock-mkinitrd build/unlock-tpm2 build/unlock-enroll
	install -D -m 0755 build/unlock $(DESTDIR)$(SBINDIR)/unlock
	install -d $(DESTDIR)$(LIBDIR)/hooks $(DESTDIR)$(DRACUTMODDIR) $(DESTDIR)$(INITRAMFSTOOLSDIR)/hooks \
		$(DESTDIR)$(INITRAMFSTOOLSDIR)/scripts/local-top
	$(INSTALL_PATHS) mkinitrd/unlock-mkinitrd >$(DESTDIR)$(SBINDIR)/unlock-mkinitrd
	chmod 0755 $(DESTDIR)$(SBINDIR)/unlock-mkinitrd
	install -m 0644 hooks/unlock-files.sh $(DESTDIR)$(LIBDIR)/hooks/unlock-files.sh
	install -m 0755 $(DEPS_DIR)/bin/lvm.static $(DESTDIR)$(LIBDIR)/lvm.static
	install -m 0755 build/unlock-tpm2 $(DESTDIR)$(LIBDIR)/unlock-tpm2
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
