# cnetmon — GNU make build.
#   make                 build ./cnetmon
#   make SANITIZE=1      build with AddressSanitizer + UndefinedBehaviorSanitizer
#   make check           unit tests (Criterion), golden captures, tshark cross-check, corpus
#   make demo            install dependencies, build, read the bundled capture
#   make BUILD=DIR       keep objects in DIR (default build/, build-san/ with SANITIZE=1)
#   make valgrind        run the golden and policy captures under valgrind memcheck
#   make install         honours PREFIX and DESTDIR

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
PKGS    := libpcap libcrypto jansson libnl-3.0 libnl-route-3.0 libmnl libcurl libprotobuf-c inih libcap-ng libnetfilter_conntrack msgpack zlib libgvc libcgraph
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   := $(shell pkg-config --libs $(PKGS))

CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2 -fno-strict-aliasing -Iinclude $(PKG_CFLAGS) -MMD -MP
LDLIBS  += $(PKG_LIBS) -lm

ifeq ($(SANITIZE),1)
BUILD   ?= build-san
CFLAGS  += -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
else
BUILD   ?= build
endif

SRCS     := $(wildcard src/*.c)
LIB_SRCS := $(filter-out src/main.c,$(SRCS))
# protobuf-c code for the CRI calls, generated from proto/ at build time.
GEN      := $(BUILD)/gen
GEN_OBJS := $(BUILD)/cri.pb-c.o
OBJS     := $(SRCS:src/%.c=$(BUILD)/%.o) $(GEN_OBJS)
LIB_OBJS := $(LIB_SRCS:src/%.c=$(BUILD)/%.o) $(GEN_OBJS)
CFLAGS   += -I$(GEN)
TEST_SRCS := $(wildcard tests/unit/*.c)
TEST_OBJS := $(TEST_SRCS:tests/unit/%.c=$(BUILD)/tests/%.o)
BIN      := $(BUILD)/cnetmon

.PHONY: all check unit golden corpus demo demo-live deps install clean valgrind bench fuzz fuzz-profile fuzz-dns fuzz-graph

all: $(BIN) cnetmon

cnetmon: $(BIN)
	cp $(BIN) $@

$(BIN): $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: src/%.c | $(BUILD)
	$(CC) $(CFLAGS) -c -o $@ $<

# One protoc-c run makes both files (a grouped target: not run twice by -j).
$(GEN)/cri.pb-c.c $(GEN)/cri.pb-c.h &: proto/cri.proto
	mkdir -p $(GEN)
	protoc-c --c_out=$(GEN) -Iproto proto/cri.proto

$(BUILD)/cri.pb-c.o: $(GEN)/cri.pb-c.c | $(BUILD)
	$(CC) $(CFLAGS) -Wno-missing-prototypes -c -o $@ $<

$(BUILD)/cri-grpc.o: $(GEN)/cri.pb-c.h

$(BUILD)/tests/%.o: tests/unit/%.c | $(BUILD)/tests
	$(CC) $(CFLAGS) $(shell pkg-config --cflags criterion) -c -o $@ $<

$(BUILD)/unit-tests: $(TEST_OBJS) $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(shell pkg-config --libs criterion)

$(BUILD) $(BUILD)/tests:
	mkdir -p $@

deps:
	contrib/install-deps.sh

unit: $(BUILD)/unit-tests
	$(BUILD)/unit-tests --jobs 2

golden: $(BIN)
	tests/golden.sh $(BIN)

corpus: $(BIN)
	tests/corpus.sh $(BIN)

check: $(BIN) $(BUILD)/unit-tests
	tests/run-all.sh $(BUILD)

demo: deps
	$(MAKE) all
	./cnetmon read -I pcaps/demo-inventory.inventory.json --flows json:- pcaps/demo.pcapng
	@echo "== the same capture judged by profiles/demo.profile: alerts (exit 1: violations found)"
	./cnetmon read -q -I pcaps/demo-inventory.inventory.json -p profiles/demo.profile \
	    -g demo.svg pcaps/demo.pcapng || test $$? -eq 1
	@echo "== graph drawn in demo.svg; the live daemon on real containers: sudo make demo-live"

# The daemon on three podman containers, allowed and forbidden traffic (root).
demo-live: all
	contrib/demo-live.sh ./cnetmon

valgrind: $(BIN)
	VALGRIND=1 tests/golden.sh $(BIN)
	VALGRIND=1 tests/policy.sh $(BIN)

bench: $(BIN)
	bench/run.sh $(BIN)
	bench/profiles.sh $(BIN)
	bench/graph.sh $(BUILD)
	bench/sinks.sh $(BUILD)

# libFuzzer over the capture readers, decoders and flow table, seeded with
# tcpdump's corpus: make fuzz FUZZ_SECONDS=600
FUZZ_SECONDS ?= 60
FUZZ_CORPUS  ?= ../shared/corpus/tcpdump
# One rule for every libFuzzer target fuzz/fuzz-NAME.c (built with the
# whole library, as the daemon is).
build-fuzz/fuzz-%: fuzz/fuzz-%.c $(LIB_SRCS) build-fuzz/gen/cri.pb-c.c
	mkdir -p build-fuzz
	clang -std=c11 -D_GNU_SOURCE -g -O1 -Iinclude -Ibuild-fuzz/gen $(PKG_CFLAGS) \
	    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	    -o $@ $^ $(PKG_LIBS) -lm

build-fuzz/gen/cri.pb-c.c: proto/cri.proto
	mkdir -p build-fuzz/gen
	protoc-c --c_out=build-fuzz/gen -Iproto proto/cri.proto

fuzz: build-fuzz/fuzz-read
	mkdir -p build-fuzz/corpus
	build-fuzz/fuzz-read -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	    -timeout=10 build-fuzz/corpus $(FUZZ_CORPUS)

# The profile parser and set checks, seeded with profiles/.
fuzz-profile: build-fuzz/fuzz-profile
	mkdir -p build-fuzz/corpus-profile
	build-fuzz/fuzz-profile -max_total_time=$(FUZZ_SECONDS) -max_len=8192 \
	    -timeout=10 build-fuzz/corpus-profile profiles

# Passive DNS (parser and cache, UDP and TCP framing), seeded with the
# generated test messages.
fuzz-dns: build-fuzz/fuzz-dns
	mkdir -p build-fuzz/corpus-dns build-fuzz/seeds-dns
	/usr/bin/python3 tests/dns/gen-dns-cases.py --seeds build-fuzz/seeds-dns
	build-fuzz/fuzz-dns -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
	    -timeout=10 build-fuzz/corpus-dns build-fuzz/seeds-dns

# Graph files (JSON and msgpack), seeded with tests/graph/.
fuzz-graph: build-fuzz/fuzz-graph
	mkdir -p build-fuzz/corpus-graph
	build-fuzz/fuzz-graph -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	    -timeout=10 build-fuzz/corpus-graph tests/graph

install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man8 \
	    $(DESTDIR)$(PREFIX)/share/man/man5
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/cnetmon
	install -m 0644 man/cnetmon.8 $(DESTDIR)$(PREFIX)/share/man/man8/cnetmon.8
	install -m 0644 man/cnetmon-graph.8 $(DESTDIR)$(PREFIX)/share/man/man8/cnetmon-graph.8
	install -m 0644 man/cnetmon.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/cnetmon.conf.5
	install -m 0644 man/cnetmon.profile.5 $(DESTDIR)$(PREFIX)/share/man/man5/cnetmon.profile.5

clean:
	rm -rf build build-san build-fuzz cnetmon

-include $(OBJS:.o=.d) $(TEST_OBJS:.o=.d)
