# securebase — a plain Makefile. Targets:
#   make            build build/securebase
#   make run        set up, build, chat with the coach in this terminal (./securebase.db)
#   make test       set up (test tools too), build with ASan+UBSan, run every test; last line
#                   "N passed, N failed"
#   make fuzz       build and run every libFuzzer target under tests/fuzz for FUZZ_SECONDS each
#   make bench      speed and memory figures (medians), never asserted
#   make eval       how well understanding understands, and how well the crisis check
#                   generalises: cross-validation and held-out figures
#   make check-dialogs   validate dialogs/
#   make install    install under PREFIX (/usr/local), staged under DESTDIR; make uninstall
# Sources are found by wildcard: a new module is a new .c/.h pair in a room of bot/ (core,
# engine, understand, dialogs, nudge; the base sb/text/log in bot/ itself), store/ or adapters/.
# Each room is on the include path, so #include "x.h" names a header without its room
# (docs/design.md, "Rooms"; tests/cli/test_layers.py checks who may include whom).

CC      ?= cc
PKGS     = libcurl jansson libwebsockets sqlite3 inih libcmark libutf8proc libexttextcat olm
WARN     = -Wall -Wextra -Werror
CSTD     = -std=c11 -D_GNU_SOURCE
ROOMS    = core engine understand dialogs nudge
INCS     = -Ibot $(ROOMS:%=-Ibot/%) -Istore -Iadapters
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# Snowball and liblinear ship no pkg-config file.
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lstemmer -llinear -lpthread -lm
CFLAGS  ?= -O2 -g
ALL_CFLAGS = $(CSTD) $(WARN) $(CFLAGS) $(INCS) $(PKG_CFLAGS)
SAN      = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
FUZZ_SECONDS ?= 20

LIB_SRC  = $(filter-out bot/core/main.c,$(wildcard bot/*.c bot/*/*.c store/*.c adapters/*.c))
HDRS     = $(wildcard bot/*.h bot/*/*.h store/*.h adapters/*.h)
OBJ      = $(LIB_SRC:%.c=build/obj/%.o)
ASAN_OBJ = $(LIB_SRC:%.c=build/asan/%.o)
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=build/asan/tests/%)
FUZZ_SRC = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN = $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
BENCH_SRC = $(wildcard tests/bench/bench_*.c)
BENCH_BIN = $(BENCH_SRC:tests/bench/%.c=build/bench/%)
DEPS     = build/.deps
TEST_DEPS = build/.test-deps
# Running as a systemd service: sd_notify readiness and watchdog pings (bot/core/service.c).
PKGS    += libsystemd

.PHONY: all run test test-programs fuzz bench eval check-dialogs clean deps test-deps
# Keep the objects pattern rules make on the way (fuzz and test builds), so no rebuild each run.
.SECONDARY:
all: $(DEPS) build/securebase

# Installs missing Debian packages (as root) or says which to install, once per checkout:
# what the binary needs for make and make run, and the test tools only for test and fuzz.
$(DEPS): scripts/install-deps
	@scripts/install-deps
	@mkdir -p build && touch $@
$(TEST_DEPS): scripts/install-deps $(DEPS)
	@scripts/install-deps --test
	@mkdir -p build && touch $@
deps: $(DEPS)
test-deps: $(TEST_DEPS)

build/securebase: $(OBJ) build/obj/bot/core/main.o
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(PKG_LIBS)

build/obj/%.o: %.c $(HDRS) | $(DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

build/asan/%.o: %.c $(HDRS) | $(DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN) -O1 -c -o $@ $<

build/asan/securebase: $(ASAN_OBJ) build/asan/bot/core/main.o
	$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $^ $(PKG_LIBS)

build/asan/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(ASAN_OBJ) | $(TEST_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN) -O1 -Itests/unit -o $@ $< $(ASAN_OBJ) $(PKG_LIBS) $(shell pkg-config --libs cmocka)

run: all
	./build/securebase --console

# The programs the tests need build BUILD_JOBS at a time (default: one per processor; a
# fresh clone compiles every source three times: plain, ASan, fuzzing), unless make itself
# was given -j. build/securebase trains the models tests/run caches.
BUILD_JOBS ?= $(shell nproc 2>/dev/null || echo 2)
test: $(TEST_DEPS)
	@$(MAKE) --no-print-directory $(if $(filter -j%,$(MAKEFLAGS)),,-j$(BUILD_JOBS)) test-programs
	@tests/run
test-programs: build/securebase build/asan/securebase $(UNIT_BIN) $(FUZZ_BIN)

check-dialogs: all
	./build/securebase --check-dialogs

# libFuzzer targets: clang, ASan+UBSan, linked against the library objects rebuilt for fuzzing.
FUZZ_CC    = clang
FUZZ_FLAGS = $(CSTD) $(WARN) $(INCS) $(PKG_CFLAGS) -g -O1 -fsanitize=fuzzer-no-link,address,undefined
FUZZ_OBJ   = $(LIB_SRC:%.c=build/fuzz/obj/%.o)
build/fuzz/obj/%.o: %.c $(HDRS) | $(TEST_DEPS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -c -o $@ $<
build/fuzz/%: tests/fuzz/%.c $(FUZZ_OBJ) | $(TEST_DEPS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJ) $(PKG_LIBS)
fuzz: $(TEST_DEPS) $(FUZZ_BIN)
	@tests/fuzz/run $(FUZZ_SECONDS) $(FUZZ_BIN)

build/bench/%: tests/bench/%.c $(wildcard tests/bench/*.h) $(OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/bench -o $@ $< $(OBJ) $(PKG_LIBS)
bench: $(DEPS) build/securebase $(BENCH_BIN)
	@tests/bench/run $(BENCH_BIN)

build/eval: tests/eval/eval.c $(OBJ)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(OBJ) $(PKG_LIBS)
build/eval_safety: tests/eval/eval_safety.c $(OBJ)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(OBJ) $(PKG_LIBS)
eval: $(DEPS) build/eval build/eval_safety
	@build/eval dialogs tests/understand/heldout.tsv
	@echo
	@build/eval_safety dialogs tests/crisis/heldout.tsv

clean:
	rm -rf build

# Installing: FHS paths under PREFIX, staged under DESTDIR for packaging. The binary finds
# its dialogs as BINDIR/../share/securebase/dialogs, so any PREFIX works without a rebuild.
PREFIX  ?= /usr/local
BINDIR   = $(PREFIX)/bin
DATADIR  = $(PREFIX)/share/securebase
MANDIR   = $(PREFIX)/share/man/man1
DOCDIR   = $(PREFIX)/share/doc/securebase
UNITDIR  = $(PREFIX)/lib/systemd/system
.PHONY: install uninstall
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR) $(DESTDIR)$(MANDIR) \
		$(DESTDIR)$(DOCDIR) $(DESTDIR)$(UNITDIR)
	install -m 0755 build/securebase $(DESTDIR)$(BINDIR)/securebase
	cd dialogs && find . -type d -exec install -d '$(DESTDIR)$(DATADIR)/dialogs/{}' ';' \
		&& find . -type f -exec install -m 0644 '{}' '$(DESTDIR)$(DATADIR)/dialogs/{}' ';'
	install -m 0644 docs/securebase.1 $(DESTDIR)$(MANDIR)/securebase.1
	install -m 0644 securebase.conf.example README.md docs/operations.md $(DESTDIR)$(DOCDIR)/
	sed 's|/usr/local/bin/securebase|$(BINDIR)/securebase|' contrib/securebase.service \
		>$(DESTDIR)$(UNITDIR)/securebase.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/securebase.service
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/securebase $(DESTDIR)$(MANDIR)/securebase.1 \
		$(DESTDIR)$(UNITDIR)/securebase.service
	rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR)
