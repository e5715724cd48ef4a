# SPDX-License-Identifier: MIT
# mgadvise: one GNU Makefile, out-of-tree builds (build/, or build-san/ with SAN=...).

CC      ?= cc
BISON   ?= bison
FLEX    ?= flex
SAN     ?=
WERROR  ?= -Werror
OPT     ?= -O2
BUILD   := $(if $(SAN),build-san,build)
GEN     := $(BUILD)/gen

WARN    = -Wall -Wextra -Wpedantic -Wshadow -Wundef -Wwrite-strings -Wstrict-prototypes \
          -Wmissing-prototypes -Wvla -Wformat -Wformat-security
GENWARN = -Wall -Wextra -Wno-unused-function -Wno-sign-compare -Wno-unused-parameter
SANFLAGS = $(if $(SAN),-fsanitize=$(SAN) -fno-sanitize-recover=all -fno-omit-frame-pointer)
DEPS_CFLAGS := $(shell pkg-config --cflags yajl 2>/dev/null)
DEPS_LIBS   := $(shell pkg-config --libs yajl 2>/dev/null || echo -lyajl)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)
CPPFLAGS_ALL = -Iinclude -Iengine -I$(GEN) -D_POSIX_C_SOURCE=200809L $(DEPS_CFLAGS)
CFLAGS_ALL  = -std=c11 $(OPT) -g -fPIC -fvisibility=hidden $(SANFLAGS) $(CFLAGS)
LDFLAGS_ALL = $(SANFLAGS) $(LDFLAGS)

ENGINE_SRC = engine/arena.c engine/diag.c engine/ast.c engine/parse.c engine/sema.c \
             engine/quote.c engine/graph.c engine/profile.c engine/eval.c engine/output.c \
             engine/api.c
ENGINE_OBJ = $(ENGINE_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/parser.o $(BUILD)/obj/gen/lexer.o
RULES      = $(sort $(wildcard rules/*.mga))

UNIT_TESTS = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))
EXAMPLES   = $(patsubst examples/%.c,$(BUILD)/examples/%,$(wildcard examples/*.c))

.PHONY: all lib test unit golden examples-run rules-check bless clean sanitize test-asan \
        check-tools deps codes-table docs-check bench bench-tools bench-smoke

.DEFAULT_GOAL := all

# Debian packages the build and the tests need; `make deps` installs the missing ones.
DEB_PKGS = gcc make flex bison pkg-config libyajl-dev libcmocka-dev

deps:
	@missing=""; for p in $(DEB_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	    echo "mgadvise: installing$$missing"; \
	    SUDO=; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
	    $$SUDO apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

all: check-tools $(BUILD)/libmgadvise.a $(BUILD)/libmgadvise.so $(BUILD)/mgadvise

check-tools:
	@command -v $(BISON) >/dev/null || { echo "mgadvise: bison is missing (apt-get install bison)"; exit 1; }
	@command -v $(FLEX) >/dev/null || { echo "mgadvise: flex is missing (apt-get install flex)"; exit 1; }
	@$(BISON) --version | awk 'NR==1 { split($$NF, v, "."); if (v[1] < 3 || (v[1] == 3 && v[2] < 8)) { print "mgadvise: bison 3.8 or later is needed, found " $$NF; exit 1 } }'

$(GEN)/parser.c $(GEN)/parser.h: grammar/parser.y
	@mkdir -p $(GEN)
	$(BISON) -Wall -Werror -o $(GEN)/parser.c --header=$(GEN)/parser.h $<

$(GEN)/lexer.c $(GEN)/lexer.h: grammar/lexer.l $(GEN)/parser.h
	@mkdir -p $(GEN)
	$(FLEX) --header-file=$(GEN)/lexer.h -o $(GEN)/lexer.c $<

$(GEN)/embedded_rules.c: $(RULES) engine/cli/embed.sh
	@mkdir -p $(GEN)
	sh engine/cli/embed.sh $@ $(RULES)

ENGINE_HDRS = $(wildcard engine/*.h) engine/diag_codes.def include/mgadvise.h

$(BUILD)/obj/gen/%.o: $(GEN)/%.c $(GEN)/parser.h $(GEN)/lexer.h $(ENGINE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) $(GENWARN) $(WERROR) -c -o $@ $<

$(BUILD)/obj/engine/%.o: engine/%.c $(GEN)/parser.h $(GEN)/lexer.h $(ENGINE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) $(WARN) $(WERROR) -c -o $@ $<

$(BUILD)/libmgadvise.a: $(ENGINE_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/libmgadvise.so: $(ENGINE_OBJ)
	$(CC) -shared $(LDFLAGS_ALL) -o $@ $^ $(DEPS_LIBS)

$(BUILD)/mgadvise: engine/cli/main.c engine/cli/batch.c engine/cli/cli.h $(GEN)/embedded_rules.c \
                  $(BUILD)/libmgadvise.a
	$(CC) -Iinclude -D_POSIX_C_SOURCE=200809L $(CFLAGS_ALL) $(WARN) $(WERROR) -pthread -o $@ \
	    engine/cli/main.c engine/cli/batch.c $(GEN)/embedded_rules.c $(BUILD)/libmgadvise.a \
	    $(LDFLAGS_ALL) $(DEPS_LIBS)

# ---- benchmark tools (bench/): `make bench` runs them; not part of `make test` ----

BENCH_COUNT ?= 1000000
BENCH_TOOLS = $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/*.c))

$(BUILD)/bench/%: bench/%.c $(BUILD)/libmgadvise.a include/mgadvise.h
	@mkdir -p $(dir $@)
	$(CC) -Iinclude -D_POSIX_C_SOURCE=200809L $(DEPS_CFLAGS) $(CFLAGS_ALL) $(WARN) $(WERROR) \
	    -o $@ $< $(BUILD)/libmgadvise.a $(LDFLAGS_ALL) $(DEPS_LIBS)

bench-tools: $(BENCH_TOOLS)

bench: all bench-tools
	@sh bench/run.sh $(BUILD) $(BENCH_COUNT)

bench-smoke: all bench-tools
	@sh bench/smoke.sh $(BUILD)

# ---- tests ----

$(BUILD)/tests/%: tests/unit/%.c tests/unit/helpers.h $(BUILD)/libmgadvise.a $(ENGINE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) -Itests/unit $(CFLAGS_ALL) $(WARN) -Wno-missing-prototypes $(WERROR) \
	    -o $@ $< $(BUILD)/libmgadvise.a $(LDFLAGS_ALL) $(DEPS_LIBS) $(CMOCKA_LIBS)

$(BUILD)/examples/%: examples/%.c $(BUILD)/libmgadvise.a
	@mkdir -p $(dir $@)
	$(CC) -Iinclude -D_POSIX_C_SOURCE=200809L $(CFLAGS_ALL) $(WARN) $(WERROR) -o $@ $< \
	    $(BUILD)/libmgadvise.a $(LDFLAGS_ALL) $(DEPS_LIBS)

unit: $(UNIT_TESTS)
	@set -e; for t in $(UNIT_TESTS); do echo "== $$t"; (cd tests/unit && ../../$$t); done

golden: $(BUILD)/mgadvise
	@sh tests/golden/run.sh $(BUILD)/mgadvise
	@sh tests/golden/batch/run.sh $(BUILD)/mgadvise

examples-run: $(EXAMPLES) all
	@set -e; for e in $(EXAMPLES); do echo "== $$e"; $$e rules examples/profiles/01-kidney-disease.json | grep -Eq "^critical +avoid +s1_kidney_disease_avoid_supplements"; done; \
	echo "examples: ok"

rules-check: $(BUILD)/mgadvise
	$(BUILD)/mgadvise check --sources ../shared/seeds rules/

# The diagnostics table in the README is generated from engine/diag_codes.def.
codes-table:
	@echo "| code | severity | message |"; echo "|---|---|---|"; \
	sed -n 's/^X([A-Z_0-9]*, \([0-9]*\), \([A-Z]*\), "\(.*\)")$$/\1 \2 \3/p' engine/diag_codes.def | \
	while read -r code sev msg; do \
	    p=E; [ "$$sev" = WARNING ] && p=W; \
	    printf '| %s%s | %s | %s |\n' "$$p" "$$code" "$$(echo $$sev | tr A-Z a-z)" "$$(printf '%s' "$$msg" | sed 's/|/\\|/g; s/\\"/"/g')"; \
	done

docs-check:
	@mkdir -p $(BUILD); $(MAKE) -s --no-print-directory codes-table >$(BUILD)/codes.md; \
	awk '/<!-- codes:begin -->/{f=1;next}/<!-- codes:end -->/{f=0}f' README.md >$(BUILD)/codes.readme; \
	if cmp -s $(BUILD)/codes.md $(BUILD)/codes.readme; then echo "docs: README diagnostics table is current"; \
	else echo "docs: README diagnostics table differs from engine/diag_codes.def (make codes-table)"; \
	diff $(BUILD)/codes.readme $(BUILD)/codes.md | head -20; exit 1; fi

test: all unit golden examples-run rules-check docs-check bench-smoke
	@echo "mgadvise: all tests passed ($(BUILD))"

bless: $(BUILD)/mgadvise
	@BLESS=1 sh tests/golden/run.sh $(BUILD)/mgadvise
	@BLESS=1 sh tests/golden/batch/run.sh $(BUILD)/mgadvise

sanitize test-asan:
	$(MAKE) SAN=address,undefined OPT=-O1 test

clean:
	rm -rf build build-san
