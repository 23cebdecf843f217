# spu: one GNU Makefile, out-of-tree build.
#
#   make            build spuc, spurun, spuctl into build/
#   make demo       install what is missing, build, compile the shipped
#                   grammars and rules, run spurun on the example capture
#   make test       the same set-up, then every test (unit, compiler golden,
#                   end-to-end, short fuzz runs)
#   make test-san   = make test SAN=1 (ASan + UBSan, objects in build-san/)
#   make fuzz       long fuzz runs (FUZZ_SECONDS, default 600 per target),
#                   then the exhaustive split-point sweep
#   make bench      benchmarks (tests/bench), bench-quick under 2 minutes
#   make install    PREFIX=/usr/local (default) DESTDIR= (staging); uninstall
#
# Sources are found by wildcard per directory, so adding a module is adding
# a file. Libraries are built before binaries:
#   libspuvm.a  runtime/vm/*.c + stdlib/*.c   (linked by spuc and spurun)
#   libspuc.a   compiler/*.c minus main.c + generated scanner/parser
#   libspurt.a  runtime/*.c minus the two mains

SAN     ?= 0
BUILD   ?= $(if $(filter 1,$(SAN)),build-san,build)
CC      := gcc
FUZZCC  := clang
PREFIX  ?= /usr/local
FUZZ_SECONDS ?= 600
FUZZ_SHORT   ?= 30
# The front end and the bundle loader take hostile input first: 60 s each in make test.
# One grammar alone (fuzz-gvm-NAME): 15 s each, fuzz-gvm (every grammar) has 30.
FUZZ_KEY     ?= fuzz-frontend=60 fuzz-bundle=60 \
                $(patsubst tests/fuzz/%.c,%=15,$(wildcard tests/fuzz/fuzz-gvm-*.c))

PKGS := libpcap jansson libpcre2-8 zlib libisal liburcu libcrypto libsodium libmagic libhs libmicrohttpd hiredis \
        libnetfilter_queue
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
TEST_LIBS  := $(shell pkg-config --libs criterion 2>/dev/null)

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wno-unused-parameter
INCS    := -Iruntime -Iruntime/vm -Istdlib -Icompiler -I$(BUILD)/gen
CFLAGS  := -std=c11 -D_GNU_SOURCE -O2 -g -pthread $(WARN) $(INCS) $(PKG_CFLAGS)
LDLIBS  := $(PKG_LIBS) -lstdc++ -lm -pthread
ifeq ($(SAN),1)
CFLAGS  += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif
DEPFLAGS = -MMD -MP

VM_SRC   := $(sort $(wildcard runtime/vm/*.c) $(wildcard stdlib/*.c))
SPUC_SRC := $(sort $(filter-out compiler/main.c,$(wildcard compiler/*.c)))
RT_SRC   := $(sort $(filter-out runtime/main.c runtime/spuctl.c,$(wildcard runtime/*.c)))
GEN_SRC  := $(if $(wildcard compiler/lexer.l),$(BUILD)/gen/lexer.c) \
            $(if $(wildcard compiler/parser.y),$(BUILD)/gen/parser.c)

VM_OBJ   := $(VM_SRC:%.c=$(BUILD)/obj/%.o)
SPUC_OBJ := $(SPUC_SRC:%.c=$(BUILD)/obj/%.o) $(GEN_SRC:%.c=%.o)
RT_OBJ   := $(RT_SRC:%.c=$(BUILD)/obj/%.o)

LIBVM   := $(BUILD)/libspuvm.a
LIBSPUC := $(BUILD)/libspuc.a
LIBRT   := $(BUILD)/libspurt.a
LIBS_ALL := $(LIBSPUC) $(LIBRT) $(LIBVM)

BINS := $(if $(wildcard compiler/main.c),$(BUILD)/spuc) \
        $(if $(wildcard runtime/main.c),$(BUILD)/spurun) \
        $(if $(wildcard runtime/spuctl.c),$(BUILD)/spuctl)

UNIT_SRC  := $(sort $(wildcard tests/unit/test-*.c))
UNIT_BINS := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TEST_HELPER_SRC := $(sort $(wildcard tests/unit/helper-*.c))
TEST_HELPER_OBJ := $(TEST_HELPER_SRC:%.c=$(BUILD)/obj/%.o)
TOOL_SRC  := $(sort $(wildcard tests/tools/*.c) $(wildcard tests/bench/*.c))
TOOL_BINS := $(TOOL_SRC:tests/%.c=$(BUILD)/%)

.PHONY: all deps demo test test-san test-unit test-compiler test-e2e test-fuzz bench-spam \
        fuzz verify bench bench-quick bench-compile bench-pipeline bench-grammars bench-rules bench-import bench-reload bench-monitor bench-inline \
        profile clean install uninstall tools
.DEFAULT_GOAL := all

all: $(BINS) tools
tools: $(TOOL_BINS)

# ---- dependencies (apt-get, only what is missing) ----
$(BUILD)/.deps-ok: mk/deps.sh
	@sh mk/deps.sh
	@mkdir -p $(@D) && touch $@
deps:
	@sh mk/deps.sh

# ---- generated front end ----
$(BUILD)/gen/parser.c $(BUILD)/gen/parser.h: compiler/parser.y
	@mkdir -p $(@D)
	bison -Wall -Werror --defines=$(BUILD)/gen/parser.h -o $(BUILD)/gen/parser.c $<
$(BUILD)/gen/lexer.c $(BUILD)/gen/lexer.h: compiler/lexer.l $(BUILD)/gen/parser.h
	@mkdir -p $(@D)
	flex --header-file=$(BUILD)/gen/lexer.h -o $(BUILD)/gen/lexer.c $<
$(BUILD)/gen/%.o: $(BUILD)/gen/%.c
	$(CC) $(CFLAGS) -Wno-unused-function -Wno-missing-prototypes $(DEPFLAGS) -c $< -o $@
# Every compiler object may include the generated headers.
$(SPUC_SRC:%.c=$(BUILD)/obj/%.o): $(filter %.h,$(GEN_SRC:%.c=%.h))

# ---- objects and libraries ----
$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

$(LIBVM): $(VM_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^
$(LIBSPUC): $(SPUC_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^
$(LIBRT): $(RT_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/spuc: $(BUILD)/obj/compiler/main.o $(LIBSPUC) $(LIBVM)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/spurun: $(BUILD)/obj/runtime/main.o $(LIBRT) $(LIBVM)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/spuctl: $(BUILD)/obj/runtime/spuctl.o $(LIBRT) $(LIBVM)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Test and bench tools (pcap generators, helpers): one .c each.
$(BUILD)/%: tests/%.c $(LIBS_ALL)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBS_ALL) $(LDLIBS)

# ---- unit tests: one Criterion binary per module ----
$(BUILD)/tests/test-%: tests/unit/test-%.c $(TEST_HELPER_OBJ) $(LIBS_ALL)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(DEPFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(TEST_HELPER_OBJ) \
	    $(LIBS_ALL) $(LDLIBS) $(TEST_LIBS)

# ---- tests ----
test: $(BUILD)/.deps-ok
	@$(MAKE) --no-print-directory all $(UNIT_BINS)
	@$(MAKE) --no-print-directory test-unit test-compiler test-e2e test-fuzz
	@echo "make test: all tests passed ($(if $(filter 1,$(SAN)),ASan+UBSan,plain) build)"

test-san:
	@$(MAKE) --no-print-directory test SAN=1

test-unit: $(UNIT_BINS)
	@sh tests/run-unit.sh $(BUILD) $(UNIT_BINS)

test-compiler: $(BINS)
	@if [ -x tests/compiler/run.sh ]; then tests/compiler/run.sh $(BUILD); fi

test-e2e: $(BINS) tools
	@if [ -x tests/e2e/run.sh ]; then SAN=$(SAN) tests/e2e/run.sh $(BUILD); fi

# ---- fuzzing (libFuzzer with clang; seeds from shipped grammars/rules) ----
FUZZ_SRC   := $(sort $(wildcard tests/fuzz/fuzz-*.c))
FUZZ_BINS  := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE -O1 -g -pthread $(INCS) $(PKG_CFLAGS) \
              -fsanitize=fuzzer-no-link,address,undefined -Wno-unused-command-line-argument
FUZZ_VM_OBJ   := $(VM_SRC:%.c=$(BUILD)/fuzzobj/%.o)
FUZZ_SPUC_OBJ := $(SPUC_SRC:%.c=$(BUILD)/fuzzobj/%.o) $(GEN_SRC:$(BUILD)/gen/%.c=$(BUILD)/fuzzobj/gen/%.o)
FUZZ_RT_OBJ   := $(RT_SRC:%.c=$(BUILD)/fuzzobj/%.o)
# Static pattern rules: make 4.3 takes a pattern rule's plain prerequisites
# (the object lists of the fuzz binaries) only when they are named targets.
# Their headers are tracked too ($(DEPFLAGS)): a struct that grows in a
# header left the objects that were not rebuilt with the old layout. The
# Makefile as a prerequisite rebuilds, once, objects made before that.
$(filter $(BUILD)/fuzzobj/gen/%,$(FUZZ_SPUC_OBJ)): $(BUILD)/fuzzobj/gen/%.o: $(BUILD)/gen/%.c Makefile
	@mkdir -p $(@D)
	$(FUZZCC) $(FUZZ_CFLAGS) $(DEPFLAGS) -c $< -o $@
$(FUZZ_VM_OBJ) $(FUZZ_RT_OBJ) $(SPUC_SRC:%.c=$(BUILD)/fuzzobj/%.o): \
        $(BUILD)/fuzzobj/%.o: %.c $(filter %.h,$(GEN_SRC:%.c=%.h)) Makefile
	@mkdir -p $(@D)
	$(FUZZCC) $(FUZZ_CFLAGS) $(DEPFLAGS) -c $< -o $@
# Named here so that the fuzz binaries' pattern rule may chain to them
# (make only chains implicit rules to files that "ought to exist").
$(FUZZ_VM_OBJ) $(FUZZ_SPUC_OBJ) $(FUZZ_RT_OBJ):
$(BUILD)/fuzz/fuzz-%: tests/fuzz/fuzz-%.c $(FUZZ_SPUC_OBJ) $(FUZZ_RT_OBJ) $(FUZZ_VM_OBJ)
	@mkdir -p $(@D)
	$(FUZZCC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $(filter-out %.inc,$^) $(LDLIBS)
# the grammar VM's targets (fuzz-gvm, one per shipped grammar) share a body
$(filter $(BUILD)/fuzz/fuzz-gvm%,$(FUZZ_BINS)): tests/fuzz/gvm-target.inc

test-fuzz: $(FUZZ_BINS) $(BINS)
	@if [ -n "$(FUZZ_BINS)" ]; then FUZZ_TIMES="$(FUZZ_KEY)" sh tests/fuzz/run.sh $(BUILD) $(FUZZ_SHORT) $(FUZZ_BINS); fi
# then the exhaustive split-point sweep of the shipped grammars on the
# corpus streams (tests/unit/test-split-corpus.c, docs/grammar-vm.md; measured
# 8 min each for http and smtp, seconds for dnstcp and tls, on 2 busy cores)
fuzz: $(FUZZ_BINS) $(BINS) $(BUILD)/tests/test-split-corpus
	sh tests/fuzz/run.sh $(BUILD) $(FUZZ_SECONDS) $(FUZZ_BINS)
	SPU_SPLIT_SWEEP=1 $(BUILD)/tests/test-split-corpus --filter='split_sweep/*' --jobs=2 --verbose

# ---- demo ----
demo: $(BUILD)/.deps-ok
	@$(MAKE) --no-print-directory all
	@sh examples/demo.sh $(BUILD)

# ---- corpus, benchmarks ----
verify: $(BUILD)/.deps-ok
	@$(MAKE) --no-print-directory all
	@sh tests/verify/run.sh $(BUILD)
bench bench-quick bench-compile bench-pipeline bench-grammars bench-rules bench-import bench-reload bench-monitor bench-inline profile: $(BUILD)/.deps-ok
	@$(MAKE) --no-print-directory all
	@sh tests/bench/run.sh $(BUILD) $@

# ---- install: PREFIX (default /usr/local), DESTDIR for staging ----
# PREFIX/bin: spuc spurun spuctl; PREFIX/share/man/man1 and man5: the man
# pages; PREFIX/share/spu/{grammars,rules}: the shipped grammars and rule
# sets (spuc finds imports in PREFIX/share/spu/grammars beside its binary);
# PREFIX/share/doc/spu/examples: the systemd unit and the logrotate snippet.
BINDIR  = $(PREFIX)/bin
MANDIR  = $(PREFIX)/share/man
DATADIR = $(PREFIX)/share/spu
DOCDIR  = $(PREFIX)/share/doc/spu
INSTALL ?= install
install: all
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(DATADIR)/grammars $(DESTDIR)$(DATADIR)/rules $(DESTDIR)$(DOCDIR)/examples
	$(INSTALL) -m 0755 $(BINS) $(DESTDIR)$(BINDIR)/
	$(INSTALL) -m 0644 $(wildcard man/*.1) $(DESTDIR)$(MANDIR)/man1/
	$(INSTALL) -m 0644 $(wildcard man/*.5) $(DESTDIR)$(MANDIR)/man5/
	$(if $(wildcard grammars/*.spg),$(INSTALL) -m 0644 $(wildcard grammars/*.spg) $(DESTDIR)$(DATADIR)/grammars/)
	$(INSTALL) -m 0644 $(wildcard rules/*.spr rules/*.config) $(DESTDIR)$(DATADIR)/rules/
	$(INSTALL) -m 0644 examples/spurun.service examples/logrotate $(DESTDIR)$(DOCDIR)/examples/

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(BINS))) \
	    $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(wildcard man/*.1))) \
	    $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(wildcard man/*.5)))
	rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR)
# the spam-source monitor's figures (docs/spam.md); part of make bench
bench: bench-spam
bench-spam: $(BUILD)/.deps-ok
	@$(MAKE) --no-print-directory all
	@sh tests/bench/spam.sh $(BUILD)

clean:
	rm -rf build build-san

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
