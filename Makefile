# libenvelope: a plain POSIX-ish Makefile (GNU make).
#   make            library (shared and static) and the envelope CLI
#   make check      install what is missing, build, run every test
#   make demo       install what is missing, build, seal and open the demo
#   make install    PREFIX, DESTDIR, LIBDIR, INCLUDEDIR, BINDIR, MANDIR, BASHCOMPDIR honoured

VERSION    = 0.1.0
SOVERSION  = 1
PREFIX    ?= /usr/local
LIBDIR    ?= $(PREFIX)/lib
INCLUDEDIR?= $(PREFIX)/include
BINDIR    ?= $(PREFIX)/bin
MANDIR    ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig

CC        ?= cc
B         ?= build
PKGS       = libcrypto json-c
WARN       = -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
             -Wno-missing-field-initializers
HARDEN     = -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIC
OPT       ?= -O2 -g
CFLAGS    ?= $(OPT)
# libxml2 and libarchive: their headers only; the libraries are loaded with
# dlopen at first use (aws/xml_dl.c, pipeline/archive_dl.c: libarchive only
# by the compat format; v1's inner archive is the library's own code).
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(HARDEN) -fvisibility=hidden \
             -Iinclude -Ilibenvelope $(shell pkg-config --cflags $(PKGS) 2>/dev/null) \
             $(shell pkg-config --cflags libxml-2.0 libarchive 2>/dev/null) $(CFLAGS) \
             $(EXTRA_CFLAGS)
LIBS       = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread
LINKFLAGS  = -Wl,-z,relro,-z,now $(LDFLAGS) $(EXTRA_LDFLAGS)

LIB_SRC    = $(wildcard libenvelope/*.c libenvelope/*/*.c)
LIB_HDR    = $(wildcard libenvelope/*.h libenvelope/*/*.h)
LIB_OBJ    = $(LIB_SRC:libenvelope/%.c=$(B)/obj/%.o)
CLI_SRC    = $(wildcard cli/*.c)
CLI_OBJ    = $(CLI_SRC:cli/%.c=$(B)/cli/%.o)
SHLIB      = $(B)/libenvelope.so.$(SOVERSION)
STLIB      = $(B)/libenvelope.a
CLI        = $(B)/envelope

# Debian packages the build and the tests need; `make deps` installs the
# missing ones (as root, or through sudo).
DEB_BUILD  = gcc make pkg-config libssl-dev libarchive-dev libjson-c-dev libcurl4-openssl-dev \
             libxml2-dev check openssl
DEB_TEST   = python3 python3-cryptography python3-botocore python3-pytest awscli git \
             python3-venv python3-pip python3-setuptools python3-wheel python3-mypy \
             libcurl4 libxml2 time valgrind tar gzip man-db groff util-linux \
             clang-14 libclang-rt-14-dev llvm-14
DEB_BENCH  = age gnupg hyperfine time awscli python3-botocore python3-cryptography binutils \
             valgrind
DEB_ALL    = $(DEB_BUILD) $(DEB_TEST)

.PHONY: all deps check demo install install-completion uninstall clean unit-tests test-unit test-cli \
        test-symbols test-layers test-refs test-kms-server test-kms test-reference test-python test-memory test-tutorial asan valgrind bench \
        test-example \
        fuzz test-fuzz-smoke tsan test-faults test-faults-valgrind test-exhaustive \
        node test-node test-node-asan install-node

all: $(SHLIB) $(B)/libenvelope.so $(STLIB) $(CLI)

$(B)/obj/%.o: libenvelope/%.c $(LIB_HDR) include/envelope.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(B)/cli/%.o: cli/%.c $(wildcard cli/*.h) include/envelope.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Icli -c $< -o $@

$(SHLIB): $(LIB_OBJ) libenvelope/libenvelope.map
	$(CC) -shared -Wl,-soname,libenvelope.so.$(SOVERSION) -Wl,--no-undefined \
	    -Wl,--version-script=libenvelope/libenvelope.map $(LINKFLAGS) \
	    -o $@ $(LIB_OBJ) $(LIBS)

$(B)/libenvelope.so: $(SHLIB)
	ln -sf libenvelope.so.$(SOVERSION) $@

$(STLIB): $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $(LIB_OBJ)

# The CLI calls libcrypto once itself (cli/main.c: no clean-up at exit).
CLI_LIBS   = $(shell pkg-config --libs libcrypto 2>/dev/null)

$(CLI): $(CLI_OBJ) $(SHLIB)
	$(CC) $(LINKFLAGS) -Wl,-rpath,'$$ORIGIN' -o $@ $(CLI_OBJ) $(SHLIB) $(CLI_LIBS)

# The Node.js addon (bindings/node), built against Node's own headers: no
# node-gyp, nothing fetched. It finds libenvelope.so.1 beside it in the
# build tree ($ORIGIN/..); install-node relinks it for LIBDIR.
NODE      ?= node
NODE_INC  ?= /usr/include/node
NODE_SRC   = $(wildcard bindings/node/src/*.c)
NODE_OBJ   = $(NODE_SRC:bindings/node/src/%.c=$(B)/node/obj/%.o)
NODE_ADDON = $(B)/node/envelope.node
NODEMODDIR ?= $(LIBDIR)/node_modules/envelope
NODE_FILES = package.json index.js index.d.ts README.md lib/errors.js lib/addon.js

$(B)/node/obj/%.o: bindings/node/src/%.c bindings/node/src/addon.h include/envelope.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -I$(NODE_INC) -c $< -o $@

$(NODE_ADDON): $(NODE_OBJ) $(SHLIB)
	$(CC) -shared $(LINKFLAGS) -Wl,-rpath,'$$ORIGIN/..' -o $@ $(NODE_OBJ) $(SHLIB) -lpthread

node: $(NODE_ADDON)

# Made at every install: PREFIX, LIBDIR and INCLUDEDIR may differ from one
# install to the next, and a file made for an earlier one would point there.
ENVELOPE_PC = sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' envelope.pc.in

deps:
	@sh tests/install-deps.sh $(DEB_ALL)

# ------------------------------------------------------------------ tests

TEST_SRC   = $(wildcard tests/unit/test_*.c)
TEST_BIN   = $(TEST_SRC:tests/unit/%.c=$(B)/tests/%)
# The unit tests call libarchive themselves, to forge archives and to read
# what the writer made with a reader other than the library's.
CHECK_LIBS = $(shell pkg-config --libs check libarchive 2>/dev/null)

$(B)/tests/%: tests/unit/%.c tests/unit/testutil.c tests/unit/testutil.h tests/unit/forge.c \
              tests/unit/forge.h $(STLIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/unit $(shell pkg-config --cflags check) \
	    -o $@ $< tests/unit/testutil.c $(STLIB) $(LIBS) $(CHECK_LIBS) $(LINKFLAGS)

unit-tests: $(TEST_BIN)

test-unit: unit-tests
	@sh tests/run-unit.sh $(B) $(TEST_BIN)

# Every bit of the golden envelope flipped, not a sample (about a minute).
test-exhaustive: unit-tests
	@ENVELOPE_TEST_SLOW=2 $(B)/tests/test_matrix

test-symbols: $(SHLIB)
	@sh tests/check-symbols.sh $(SHLIB) tests/symbols.txt

# The dependency rules between the library's folders and files, read from
# its objects (docs/DESIGN.md, "Layers"); the checker first proves on made-up
# graphs that it catches each kind of fault.
test-layers: $(STLIB)
	@/usr/bin/python3 tests/check-layers.py --selftest
	@/usr/bin/python3 tests/check-layers.py $(STLIB) libenvelope

# Every reference to a document, a section (by title) or a file of the
# repository resolves; the self-test first, so that a checker that can no
# longer fail is caught.
test-refs:
	@/usr/bin/python3 tests/check-refs.py --selftest
	@/usr/bin/python3 tests/check-refs.py

# Suites that live beside the C tests; each is skipped, saying so, only
# while its directory does not exist yet.
define optional
	@if [ -e $(1) ]; then $(2); else echo "$(1): absent, suite skipped"; fi
endef

test-cli: all
	$(call optional,tests/cli/run.sh,bash tests/cli/run.sh $(B))

test-kms-server:
	@bash tests/kms-server/test_fidelity.sh
	@/usr/bin/python3 -m pytest -q tests/kms-server

test-memory: all
	@bash tests/memory-bound.sh $(B)

test-kms: all
	@bash tests/kms/run.sh $(B)
	@bash tests/kms/sts.sh $(B)

# The README's C program (docs/example.c), built against the tree and
# against a copy installed under a temporary DESTDIR, with pkg-config.
test-example: all
	@bash tests/example.sh $(B)

# libFuzzer targets (fuzz/fuzz_*.c), FUZZ_SECONDS each, built in build-fuzz.
FUZZ_SECONDS ?= 60
fuzz: deps
	@sh fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

# For make check: replay fuzz/regressions/ and fuzz each target 5 s.
test-fuzz-smoke:
	@sh fuzz/run.sh build-fuzz 5

# 8 threads sealing and opening with shared keys, under ThreadSanitizer.
tsan:
	@sh tests/threads/run.sh build-tsan

# Failing writes, short inputs, and each allocation failing in turn.
test-faults: all
	@sh tests/faults/run.sh $(B)

test-faults-valgrind: all
	@sh tests/faults/run.sh $(B) valgrind

# Every sh block of docs/TUTORIAL.md and docs/KEY-MANAGEMENT.md, against
# the KMS test server.
test-tutorial: all
	@bash tests/tutorial/run.sh $(B)
	@bash tests/tutorial/run.sh $(B) docs/KEY-MANAGEMENT.md

test-reference: all
	$(call optional,tests/test_reference.py,ENVELOPE_CLI=$(B)/envelope /usr/bin/python3 -m pytest -q tests/test_reference.py)

# Skipped, saying so, where Node.js or its headers are absent.
test-node:
	@if command -v $(NODE) >/dev/null 2>&1 && [ -f $(NODE_INC)/node_api.h ]; then \
	    $(MAKE) --no-print-directory all node && \
	    cd bindings/node && ENVELOPE_NODE_ADDON=$(CURDIR)/$(NODE_ADDON) \
	        ENVELOPE_CLI=$(CURDIR)/$(CLI) $(NODE) --test test/*.test.js; \
	else echo "test-node: no $(NODE) or no $(NODE_INC)/node_api.h: Node.js binding skipped"; fi

test-python: all
	@ENVELOPE_LIBRARY=$(CURDIR)/$(SHLIB) ENVELOPE_CLI=$(CURDIR)/$(CLI) PYTHONPATH=bindings/python \
	    /usr/bin/python3 -m pytest -q bindings/python/tests

check: deps
	@$(MAKE) --no-print-directory all unit-tests
	@$(MAKE) --no-print-directory test-refs test-symbols test-layers test-unit test-cli test-reference \
	    test-python test-node test-memory test-kms-server test-kms test-tutorial test-example \
	    test-faults tsan test-fuzz-smoke
	@echo "make check: all suites passed"

demo: deps
	@$(MAKE) --no-print-directory all
	@bash tests/demo.sh $(B)

# Sanitizers: the whole unit suite, built apart in build-asan.
asan: deps
	@$(MAKE) --no-print-directory B=build-asan OPT="-O1 -g -fno-omit-frame-pointer" \
	    EXTRA_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all" \
	    EXTRA_LDFLAGS="-fsanitize=address,undefined" HARDEN="-fstack-protector-strong -fPIC" \
	    test-unit test-cli

# The Node.js tests with the addon and the library under ASan + UBSan. Node
# itself is not instrumented: the runtimes are preloaded, leak detection is
# off (Node keeps its own allocations to the end), and the install test,
# which relinks without the sanitizers, is left out.
test-node-asan:
	@$(MAKE) --no-print-directory B=build-asan OPT="-O1 -g -fno-omit-frame-pointer" \
	    EXTRA_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all" \
	    EXTRA_LDFLAGS="-fsanitize=address,undefined" HARDEN="-fstack-protector-strong -fPIC" \
	    all node
	@cd bindings/node && \
	    LD_PRELOAD="$$($(CC) -print-file-name=libasan.so) $$($(CC) -print-file-name=libubsan.so)" \
	    ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    ENVELOPE_NODE_ADDON=$(CURDIR)/build-asan/node/envelope.node \
	    ENVELOPE_CLI=$(CURDIR)/build-asan/envelope \
	    $(NODE) --test $$(ls test/*.test.js | grep -v install.test.js)

valgrind: deps
	@$(MAKE) --no-print-directory B=build-vg OPT="-O1 -g" unit-tests all
	@VALGRIND=1 sh tests/run-unit.sh build-vg $(TEST_SRC:tests/unit/%.c=build-vg/tests/%)

# Not a test (bench/README.md): measures against openssl and the peer tools
# and writes docs/BENCHMARKS.md. BENCH_QUICK=1 for a short run.
bench:
	@sh tests/install-deps.sh $(DEB_BUILD) $(DEB_BENCH)
	@$(MAKE) --no-print-directory all
	@bash bench/run.sh $(B)

# ---------------------------------------------------------------- install

install: all install-completion
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(BINDIR) \
	    $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0644 include/envelope.h $(DESTDIR)$(INCLUDEDIR)/envelope.h
	install -m 0755 $(SHLIB) $(DESTDIR)$(LIBDIR)/libenvelope.so.$(SOVERSION)
	ln -sf libenvelope.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libenvelope.so
	install -m 0644 $(STLIB) $(DESTDIR)$(LIBDIR)/libenvelope.a
	$(ENVELOPE_PC) > $(B)/envelope.pc
	install -m 0644 $(B)/envelope.pc $(DESTDIR)$(PKGCONFIGDIR)/envelope.pc
	$(CC) $(LINKFLAGS) -o $(B)/envelope.installed $(CLI_OBJ) $(SHLIB) $(CLI_LIBS)
	install -m 0755 $(B)/envelope.installed $(DESTDIR)$(BINDIR)/envelope
	if [ -f cli/envelope.1 ]; then install -m 0644 cli/envelope.1 $(DESTDIR)$(MANDIR)/man1/; fi

# The Node.js package, as a global module of PREFIX's node (require it by
# its path, or with NODE_PATH=$(LIBDIR)/node_modules); the addon is relinked
# to find the library in LIBDIR.
install-node: all node
	install -d $(DESTDIR)$(NODEMODDIR)/lib $(DESTDIR)$(NODEMODDIR)/build
	for f in $(NODE_FILES); do install -m 0644 bindings/node/$$f $(DESTDIR)$(NODEMODDIR)/$$f; done
	$(CC) -shared $(LINKFLAGS) -Wl,-rpath,$(LIBDIR) -o $(B)/node/envelope.installed.node \
	    $(NODE_OBJ) $(SHLIB) -lpthread
	install -m 0755 $(B)/node/envelope.installed.node $(DESTDIR)$(NODEMODDIR)/build/envelope.node

# Needs no build: the CLI tests install it alone.
install-completion:
	install -d $(DESTDIR)$(BASHCOMPDIR)
	install -m 0644 cli/envelope.bash-completion $(DESTDIR)$(BASHCOMPDIR)/envelope

uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/envelope.h $(DESTDIR)$(LIBDIR)/libenvelope.so* \
	    $(DESTDIR)$(LIBDIR)/libenvelope.a $(DESTDIR)$(PKGCONFIGDIR)/envelope.pc \
	    $(DESTDIR)$(BINDIR)/envelope $(DESTDIR)$(MANDIR)/man1/envelope.1 \
	    $(DESTDIR)$(BASHCOMPDIR)/envelope
	rm -f $(addprefix $(DESTDIR)$(NODEMODDIR)/,$(NODE_FILES) build/envelope.node)
	rmdir $(DESTDIR)$(NODEMODDIR)/lib $(DESTDIR)$(NODEMODDIR)/build $(DESTDIR)$(NODEMODDIR) \
	    2>/dev/null || true

clean:
	rm -rf build build-asan build-vg
