# SPDX-License-Identifier: MIT
# mgadvise: one GNU Makefile, out-of-tree builds (build/, or build-san/ with SAN=...).

CC      ?= cc
BISON   ?= bison
FLEX    ?= flex
SAN     ?=
WERROR  ?= -Werror
OPT     ?= -O2
BUILD   ?= $(if $(SAN),build-san,build)
GEN     := $(BUILD)/gen

WARN    = -Wall -Wextra -Wpedantic -Wshadow -Wundef -Wwrite-strings -Wstrict-prototypes \
          -Wmissing-prototypes -Wvla -Wformat -Wformat-security
GENWARN = -Wall -Wextra -Wno-unused-function -Wno-sign-compare -Wno-unused-parameter \
          -Wno-misleading-indentation
SANFLAGS = $(if $(SAN),-fsanitize=$(SAN) -fno-sanitize-recover=all -fno-omit-frame-pointer)
DEPS_CFLAGS := $(shell pkg-config --cflags yajl 2>/dev/null)
# The library's own: yajl, and libcsv for CSV batch input (libcsv-dev ships no pkg-config
# file, so it is named here and in mgadvise.pc's Libs.private)
DEPS_LIBS   := $(shell pkg-config --libs yajl 2>/dev/null || echo -lyajl) -lcsv
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)
MHD_LIBS    := $(shell pkg-config --libs libmicrohttpd libjwt libcrypto 2>/dev/null || echo -lmicrohttpd -ljwt -lcrypto)
# libcurl, for serve's FHIR fetches (cli/fhirfetch.c), in the CLI only, never the library.
# The GnuTLS flavour: libmicrohttpd already loads GnuTLS, so it adds one library fewer
# to the CLI than the OpenSSL flavour (libssl).
CURL_CFLAGS := $(shell pkg-config --cflags libcurl 2>/dev/null)
CURL_LIBS   := $(shell pkg-config --libs libcurl 2>/dev/null || echo -lcurl)
Z3_CFLAGS   := $(shell pkg-config --cflags z3 2>/dev/null)
Z3_LIBS     := $(shell pkg-config --libs z3 2>/dev/null || echo -lz3) -lm
# CPPFLAGS, CFLAGS and LDFLAGS are the caller's (e.g. Debian's dpkg-buildflags): every compile
# and link below uses them, after the project's own flags.
CPPFLAGS_ALL = -Iinclude -Iengine -I$(GEN) -D_POSIX_C_SOURCE=200809L $(DEPS_CFLAGS) $(Z3_CFLAGS) \
               $(CPPFLAGS)
CPPFLAGS_PUB = -Iinclude -D_POSIX_C_SOURCE=200809L $(CPPFLAGS)
CFLAGS_ALL  = -std=c11 $(OPT) -g -fPIC -fvisibility=hidden $(SANFLAGS) $(CFLAGS)
LDFLAGS_ALL = $(SANFLAGS) $(LDFLAGS)

ENGINE_SRC = engine/batch.c engine/batchrec.c engine/batchstats.c engine/csvin.c engine/names.c engine/fileio.c engine/jsonesc.c engine/evalref.c engine/plan.c engine/resolve.c engine/arena.c engine/utf8.c engine/textsafe.c engine/diag.c engine/ast.c engine/parse.c engine/lexsup.c engine/astbuild.c engine/sema.c \
             engine/quote.c engine/graph.c engine/profile.c engine/eval.c engine/output.c \
             engine/jsongen.c engine/format.c engine/graphout.c engine/api.c engine/explain.c engine/ruletest.c \
             engine/diagout.c engine/schema.c engine/doc.c engine/fhirbind.c engine/fhir.c engine/jtree.c engine/ypool.c engine/xref.c \
             engine/prefetch.c
# The library carries the shipped rule base (mga_compile_builtin): rules/*.mga embedded by
# engine/embed.sh into $(GEN)/builtin_rules.c.
ENGINE_OBJ = $(ENGINE_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/parser.o $(BUILD)/obj/gen/lexer.o \
             $(BUILD)/obj/gen/builtin_rules.o
RULES      = $(sort $(wildcard rules/*.mga))
# The static analysis (check) needs Z3: built into its own shared library,
# libmgadvise-analysis (include/mgadvise_analysis.h), that the CLI loads with dlopen only when
# check runs it, and into its unit test; never into libmgadvise or the CLI.
ANALYZE_OBJ = $(BUILD)/obj/engine/analyze.o

UNIT_TESTS = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))
EXAMPLES   = $(patsubst examples/%.c,$(BUILD)/examples/%,$(wildcard examples/*.c))

.PHONY: all lib identical test lsp-test unit golden examples-run rules-check bless clean sanitize test-asan \
        check-tools deps codes-table docs-check docs-bless fuzz fuzz-regress test-valgrind test-tsan rule-tests fmt-check graph-svg \
        bench bench-tools bench-smoke install uninstall man-check install-check bench-items \
        python-test bench-python cli-deps-check structure-check bench-start data-test serve-test editors-test editors-svg \
        bench-lsp bench-serve bench-handler

.DEFAULT_GOAL := all

# Debian packages the build and the tests need; `make deps` installs the missing ones.
DEB_PKGS = gcc make flex bison pkg-config libyajl-dev libcmocka-dev libcsv-dev libz3-dev libmicrohttpd-dev libjwt-dev libcurl4-gnutls-dev libssl-dev valgrind \
           mandoc openssl python3 python3-cffi python3-pytest python3-dask python3-distributed \
           python3-jsonschema

# The editor tests (tests/editors) need Node.js with npm, vim and lua5.4. A Node.js that
# brings its own npm (not Debian's npm package) counts: nodejs and npm are installed only
# when the commands are missing.
DEB_PKGS += vim lua5.4
NODE_PKGS = $(if $(shell command -v node >/dev/null && command -v npm >/dev/null && echo y),,nodejs npm)

deps:
	@missing=""; for p in $(DEB_PKGS) $(NODE_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	    echo "mgadvise: installing$$missing"; \
	    SUDO=; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
	    $$SUDO apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# The shared library: the real file is libmgadvise.so.VERSION, its SONAME libmgadvise.so.MAJOR
# (the ABI: raise the major version in MGA_VERSION when it breaks); .so.MAJOR and .so are
# symbolic links to it, in build/ as where it is installed.
VERSION   := $(shell sed -n 's/^\#define MGA_VERSION "\(.*\)"$$/\1/p' include/mgadvise.h)
SOVERSION := $(firstword $(subst ., ,$(VERSION)))
SONAME    := libmgadvise.so.$(SOVERSION)
SOREAL    := libmgadvise.so.$(VERSION)

ANALYSIS_SONAME := libmgadvise-analysis.so.$(SOVERSION)
SERVE_PLUGIN    := mgadvise-serve.so
ANALYSIS_SOREAL := libmgadvise-analysis.so.$(VERSION)

all: check-tools $(BUILD)/libmgadvise.a $(BUILD)/libmgadvise.so $(BUILD)/mgadvise \
     $(BUILD)/libmgadvise-analysis.so $(BUILD)/$(SERVE_PLUGIN)

check-tools:
	@command -v $(BISON) >/dev/null || { echo "mgadvise: bison is missing (apt-get install bison)"; exit 1; }
	@command -v $(FLEX) >/dev/null || { echo "mgadvise: flex is missing (apt-get install flex)"; exit 1; }
	@$(BISON) --version | awk 'NR==1 { split($$NF, v, "."); if (v[1] < 3 || (v[1] == 3 && v[2] < 8)) { print "mgadvise: bison 3.8 or later is needed, found " $$NF; exit 1 } }'

$(GEN)/parser.c $(GEN)/parser.h: grammar/parser.y
	@mkdir -p $(GEN)
	$(BISON) -Wall -Werror -o $(GEN)/parser.c --header=$(GEN)/parser.h $<

# -CF: the fast (larger) tables: every `mgadvise eval` compiles the built-in rules, and the
# scanner is a quarter of that.
$(GEN)/lexer.c $(GEN)/lexer.h: grammar/lexer.l $(GEN)/parser.h
	@mkdir -p $(GEN)
	$(FLEX) -CF -8 --header-file=$(GEN)/lexer.h -o $(GEN)/lexer.c $<

$(GEN)/builtin_rules.c: $(RULES) engine/embed.sh
	@mkdir -p $(GEN)
	sh engine/embed.sh $@ $(RULES)

ENGINE_HDRS = $(wildcard engine/*.h) engine/diag_codes.def include/mgadvise.h \
              include/mgadvise_analysis.h

$(BUILD)/obj/gen/%.o: $(GEN)/%.c $(GEN)/parser.h $(GEN)/lexer.h $(ENGINE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) $(GENWARN) $(WERROR) -c -o $@ $<

$(BUILD)/obj/engine/%.o: engine/%.c $(GEN)/parser.h $(GEN)/lexer.h $(ENGINE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) $(WARN) $(WERROR) -c -o $@ $<

$(BUILD)/libmgadvise.a: $(ENGINE_OBJ)
	rm -f $@
	ar rcs $@ $^

# -z defs: every symbol the library uses must come from its own objects or a listed library
# (not possible under the sanitizers, whose runtime the executable brings).
$(BUILD)/$(SOREAL): $(ENGINE_OBJ)
	$(CC) -shared -Wl,-soname,$(SONAME) $(if $(SAN),,-Wl,-z,defs) $(CFLAGS_ALL) $(LDFLAGS_ALL) \
	    -o $@ $^ $(DEPS_LIBS)

$(BUILD)/libmgadvise.so: $(BUILD)/$(SOREAL)
	ln -sf $(SOREAL) $(BUILD)/$(SONAME)
	ln -sf $(SONAME) $@

# The analysis library: the analysis and the engine objects it uses (its own copy: the
# library's internals are not exported), Z3; it exports only mga_analysis_* (engine/analysis.map).
$(BUILD)/$(ANALYSIS_SOREAL): $(ANALYZE_OBJ) $(BUILD)/libmgadvise.a engine/analysis.map
	$(CC) -shared -Wl,-soname,$(ANALYSIS_SONAME) $(if $(SAN),,-Wl,-z,defs) \
	    -Wl,--version-script=engine/analysis.map $(CFLAGS_ALL) $(LDFLAGS_ALL) \
	    -o $@ $(ANALYZE_OBJ) $(BUILD)/libmgadvise.a $(DEPS_LIBS) $(Z3_LIBS)

$(BUILD)/libmgadvise-analysis.so: $(BUILD)/$(ANALYSIS_SOREAL)
	ln -sf $(ANALYSIS_SOREAL) $(BUILD)/$(ANALYSIS_SONAME)
	ln -sf $(ANALYSIS_SONAME) $@

# The CLI is a client of the public headers only (-Iinclude). cli/analysis.c, which finds
# the analysis library, is compiled with the library folder it looks in (LIBDIR): for the
# build with the LIBDIR of the build, by install with the LIBDIR of the install.
CLI_SRC  = cli/main.c cli/common.c cli/subject.c cli/batch.c cli/tools.c cli/fmt.c cli/graph.c cli/document.c cli/folder.c \
           cli/schema.c cli/lsp.c cli/lsp_rpc.c cli/lsp_docs.c cli/lsp_check.c cli/lsp_analysis.c \
           cli/lsp_complete.c cli/jsonval.c
CLI_OBJ  = $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
CLI_HDRS = cli/cli.h cli/lsp.h cli/cds.h cli/auth.h cli/handler.h cli/declog.h \
           cli/fhirfetch.h cli/jsonval.h cli/mgproduct.h cli/workers.h cli/jtiseen.h \
           include/mgadvise.h \
           include/mgadvise_analysis.h
CLI_LINK = $(LDFLAGS_ALL) $(DEPS_LIBS)
# cli/analysis.c and cli/plugin.c find their plugins: compiled with the folders they look in
# (the build's, or the install's), at link time.
CLI_PLUGIN_SRC = cli/analysis.c cli/plugin.c
cli_analysis_defs = -DMGA_ANALYSIS_SONAME='"$(ANALYSIS_SONAME)"' -DMGA_LIBDIR='"$(1)"' \
                    -DMGA_SERVE_PLUGIN='"$(SERVE_PLUGIN)"' -DMGA_PLUGINDIR='"$(1)/mgadvise"'

# `mgadvise serve` is a plugin of its own, mgadvise-serve.so, loaded with dlopen only when
# serve runs: the HTTP server, TLS, JSON Web Tokens, libcrypto and libcurl (with its own
# dozens of libraries) are not loaded by every eval. It carries its own copy of the library
# and exports only its entry points (cli/serve.map). Installed in $(LIBDIR)/mgadvise.
SERVE_SRC    = cli/serve_entry.c cli/serve.c cli/workers.c cli/handler.c cli/declog.c cli/cds.c \
               cli/auth.c cli/jtiseen.c cli/fhirfetch.c cli/mgproduct.c cli/common.c cli/jsonval.c
SERVE_OBJ    = $(SERVE_SRC:%.c=$(BUILD)/obj/%.o)
$(BUILD)/$(SERVE_PLUGIN): $(SERVE_OBJ) $(BUILD)/libmgadvise.a cli/serve.map
	$(CC) -shared $(if $(SAN),,-Wl,-z,defs) -Wl,--version-script=cli/serve.map $(CFLAGS_ALL) \
	    -pthread -o $@ $(SERVE_OBJ) $(BUILD)/libmgadvise.a $(LDFLAGS_ALL) $(DEPS_LIBS) \
	    $(MHD_LIBS) $(CURL_LIBS)

$(BUILD)/obj/cli/%.o: cli/%.c $(CLI_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_PUB) -Icli $(CURL_CFLAGS) $(CFLAGS_ALL) $(WARN) $(WERROR) -pthread -c -o $@ $<

$(BUILD)/mgadvise: $(CLI_OBJ) $(CLI_PLUGIN_SRC) $(CLI_HDRS) $(BUILD)/libmgadvise.a \
                  | $(BUILD)/libmgadvise-analysis.so $(BUILD)/$(SERVE_PLUGIN)
	$(CC) $(CPPFLAGS_PUB) -Icli $(call cli_analysis_defs,$(LIBDIR)) $(CFLAGS_ALL) $(WARN) \
	    $(WERROR) -pthread -o $@ $(CLI_OBJ) $(CLI_PLUGIN_SRC) $(BUILD)/libmgadvise.a $(CLI_LINK)

# The CLI as installed: linked at install time, to look in the LIBDIR given to install.
$(BUILD)/install/mgadvise: $(CLI_OBJ) $(CLI_PLUGIN_SRC) $(CLI_HDRS) $(BUILD)/libmgadvise.a FORCE
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_PUB) -Icli $(call cli_analysis_defs,$(LIBDIR)) $(CFLAGS_ALL) $(WARN) \
	    $(WERROR) -pthread -o $@ $(CLI_OBJ) $(CLI_PLUGIN_SRC) $(BUILD)/libmgadvise.a $(CLI_LINK)

# Only check loads Z3: the CLI must not need it (nor the library).
cli-deps-check: $(BUILD)/mgadvise $(BUILD)/libmgadvise.so $(BUILD)/$(SERVE_PLUGIN)
	@for f in $(BUILD)/mgadvise $(BUILD)/$(SOREAL); do \
	    if readelf -d $$f | grep NEEDED | grep -i z3; then echo "cli: $$f needs Z3"; exit 1; fi; done; \
	if readelf -d $(BUILD)/$(SOREAL) | grep NEEDED | grep -i curl; then \
	    echo "cli: $(SOREAL) needs libcurl"; exit 1; fi; \
	readelf -d $(BUILD)/$(ANALYSIS_SOREAL) | grep -q 'NEEDED.*libz3' || \
	    { echo "cli: $(ANALYSIS_SOREAL) does not need Z3"; exit 1; }; \
	for l in microhttpd jwt crypto curl gnutls; do \
	    if readelf -d $(BUILD)/mgadvise | grep NEEDED | grep -i $$l; then \
	        echo "cli: mgadvise needs $$l (only the serve plugin may)"; exit 1; fi; done; \
	readelf -d $(BUILD)/$(SERVE_PLUGIN) | grep -q 'NEEDED.*libmicrohttpd' || \
	    { echo "cli: $(SERVE_PLUGIN) does not need libmicrohttpd"; exit 1; }; \
	exports=$$(nm -D --defined-only $(BUILD)/$(SERVE_PLUGIN) | awk '{print $$3}' | sort | tr '\n' ' '); \
	[ "$$exports" = "mgadvise_serve_main mgadvise_serve_version " ] || \
	    { echo "cli: $(SERVE_PLUGIN) exports $$exports"; exit 1; }; \
	echo "cli: mgadvise and libmgadvise load no Z3; $(ANALYSIS_SONAME) does; libmgadvise no libcurl;" \
	    "mgadvise loads no HTTP, TLS, JWT or curl library; $(SERVE_PLUGIN) does, exporting its entry points only"

# No include cycle among the modules of engine/, cli/ and grammar/, and no engine header in
# cli/ (tests/structure/includes.py); the check must also find a cycle made on purpose.
structure-check:
	@/usr/bin/python3 tests/structure/includes.py .
	@t=$$(mktemp -d) && mkdir -p $$t/engine && printf '#include "b.h"\n' >$$t/engine/a.h && \
	    : >$$t/engine/b.h && printf '#include "a.h"\n' >$$t/engine/b.c && \
	    out=$$(/usr/bin/python3 tests/structure/includes.py $$t); rc=$$?; rm -rf $$t; \
	    [ $$rc -eq 1 ] && [ "$$out" = "structure: include cycle: engine/a <-> engine/b" ] || \
	    { echo "structure: the check missed a cycle made on purpose ($$out)"; exit 1; }

# ---- installing (make install PREFIX=/usr DESTDIR=...; docs/INSTALL.md) ----
# Every directory may be set on its own; DESTDIR is prepended to each when copying, never
# written into the files (mgadvise.pc names the real PREFIX). Nothing is stripped.

PREFIX       ?= /usr/local
EXEC_PREFIX  ?= $(PREFIX)
BINDIR       ?= $(EXEC_PREFIX)/bin
LIBDIR       ?= $(EXEC_PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
DATAROOTDIR  ?= $(PREFIX)/share
MANDIR       ?= $(DATAROOTDIR)/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
BASHCOMPDIR  ?= $(DATAROOTDIR)/bash-completion/completions
# Where Debian's /usr/bin/python3 looks for packages: /usr/lib/python3/dist-packages for
# PREFIX=/usr, else PREFIX/lib/python3.N/dist-packages (/usr/local's is on its path).
PYTHONDIR    ?= $(if $(filter /usr,$(PREFIX)),$(PREFIX)/lib/python3/dist-packages,$(PREFIX)/lib/python$(PYTHON_VERSION)/dist-packages)
PYTHON_VERSION = $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || echo 3)
PY_PACKAGE   = $(filter-out python/mgadvise/_installed.py,$(wildcard python/mgadvise/*.py))
INSTALL      ?= install
MANPAGES     = man/mgadvise.1 man/libmgadvise.3 man/mgadvise-rules.5

# The libraries the static libmgadvise.a needs: yajl through its pkg-config file when the
# system has one (else a plain -lyajl), and libcsv, which has none.
PC_REQUIRES_PRIVATE = $(if $(shell pkg-config --exists yajl 2>/dev/null && echo y),yajl)
PC_LIBS_PRIVATE     = $(if $(PC_REQUIRES_PRIVATE),,-lyajl) -lcsv
pc_dir = $(patsubst $(PREFIX)/%,$${prefix}/%,$(1))

# Written on every install: it holds the directories of this install.
$(BUILD)/mgadvise.pc: mgadvise.pc.in include/mgadvise.h FORCE
	@mkdir -p $(BUILD)
	@sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(call pc_dir,$(LIBDIR))|' \
	    -e 's|@INCLUDEDIR@|$(call pc_dir,$(INCLUDEDIR))|' -e 's|@VERSION@|$(VERSION)|' \
	    -e 's|@REQUIRES_PRIVATE@|$(PC_REQUIRES_PRIVATE)|' -e 's|@LIBS_PRIVATE@|$(PC_LIBS_PRIVATE)|' \
	    mgadvise.pc.in >$@.tmp && mv $@.tmp $@

FORCE:

install: all $(BUILD)/mgadvise.pc $(BUILD)/install/mgadvise
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) \
	    $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(BASHCOMPDIR)
	$(INSTALL) -m 755 $(BUILD)/install/mgadvise $(DESTDIR)$(BINDIR)/mgadvise
	$(INSTALL) -m 644 $(BUILD)/$(SOREAL) $(DESTDIR)$(LIBDIR)/$(SOREAL)
	ln -sf $(SOREAL) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libmgadvise.so
	$(INSTALL) -m 644 $(BUILD)/libmgadvise.a $(DESTDIR)$(LIBDIR)/libmgadvise.a
	$(INSTALL) -m 644 $(BUILD)/$(ANALYSIS_SOREAL) $(DESTDIR)$(LIBDIR)/$(ANALYSIS_SOREAL)
	ln -sf $(ANALYSIS_SOREAL) $(DESTDIR)$(LIBDIR)/$(ANALYSIS_SONAME)
	ln -sf $(ANALYSIS_SONAME) $(DESTDIR)$(LIBDIR)/libmgadvise-analysis.so
	$(INSTALL) -d $(DESTDIR)$(LIBDIR)/mgadvise
	$(INSTALL) -m 644 $(BUILD)/$(SERVE_PLUGIN) $(DESTDIR)$(LIBDIR)/mgadvise/$(SERVE_PLUGIN)
	$(INSTALL) -m 644 include/mgadvise.h $(DESTDIR)$(INCLUDEDIR)/mgadvise.h
	$(INSTALL) -m 644 include/mgadvise_analysis.h $(DESTDIR)$(INCLUDEDIR)/mgadvise_analysis.h
	$(INSTALL) -m 644 $(BUILD)/mgadvise.pc $(DESTDIR)$(PKGCONFIGDIR)/mgadvise.pc
	$(INSTALL) -m 644 man/mgadvise.1 $(DESTDIR)$(MANDIR)/man1/mgadvise.1
	$(INSTALL) -m 644 man/libmgadvise.3 $(DESTDIR)$(MANDIR)/man3/libmgadvise.3
	$(INSTALL) -m 644 man/mgadvise-rules.5 $(DESTDIR)$(MANDIR)/man5/mgadvise-rules.5
	$(INSTALL) -m 644 completion/mgadvise.bash $(DESTDIR)$(BASHCOMPDIR)/mgadvise
	$(INSTALL) -d $(DESTDIR)$(PYTHONDIR)/mgadvise
	$(INSTALL) -m 644 $(PY_PACKAGE) $(DESTDIR)$(PYTHONDIR)/mgadvise/
	printf '# written by make install: the library and header this package reads\nLIBRARY = "%s"\nHEADER = "%s"\n' \
	    "$(LIBDIR)/$(SONAME)" "$(INCLUDEDIR)/mgadvise.h" >$(DESTDIR)$(PYTHONDIR)/mgadvise/_installed.py

# Removes exactly the files install copies (the directories stay: they may be shared).
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/mgadvise $(DESTDIR)$(LIBDIR)/$(SOREAL) \
	    $(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/libmgadvise.so \
	    $(DESTDIR)$(LIBDIR)/libmgadvise.a $(DESTDIR)$(INCLUDEDIR)/mgadvise.h \
	    $(DESTDIR)$(LIBDIR)/$(ANALYSIS_SOREAL) $(DESTDIR)$(LIBDIR)/$(ANALYSIS_SONAME) \
	    $(DESTDIR)$(LIBDIR)/libmgadvise-analysis.so $(DESTDIR)$(INCLUDEDIR)/mgadvise_analysis.h \
	    $(DESTDIR)$(PKGCONFIGDIR)/mgadvise.pc $(DESTDIR)$(MANDIR)/man1/mgadvise.1 \
	    $(DESTDIR)$(MANDIR)/man3/libmgadvise.3 $(DESTDIR)$(MANDIR)/man5/mgadvise-rules.5 \
	    $(DESTDIR)$(BASHCOMPDIR)/mgadvise $(DESTDIR)$(LIBDIR)/mgadvise/$(SERVE_PLUGIN)
	rmdir $(DESTDIR)$(LIBDIR)/mgadvise 2>/dev/null || true
	rm -f $(addprefix $(DESTDIR)$(PYTHONDIR)/mgadvise/,$(notdir $(PY_PACKAGE)) _installed.py)
	rm -rf $(DESTDIR)$(PYTHONDIR)/mgadvise/__pycache__
	rmdir $(DESTDIR)$(PYTHONDIR)/mgadvise 2>/dev/null || true

# The manual pages must pass mandoc's checker (Debian package mandoc) without a warning
# (groff's when mandoc is missing), and libmgadvise(3) must name every public function.
man-check:
	@if command -v mandoc >/dev/null; then \
	    out=$$(mandoc -T lint -W warning $(MANPAGES) 2>&1); rc=$$?; \
	else \
	    echo "man: mandoc is missing (make deps), checking with groff"; \
	    out=$$(for m in $(MANPAGES); do groff -man -ww -z $$m 2>&1; done); rc=0; \
	fi; \
	if [ -n "$$out" ] || [ $$rc -ne 0 ]; then echo "$$out"; echo "man: the pages have warnings"; exit 1; fi; \
	echo "man: $(MANPAGES) are clean"
	@missing=$$(sed -n 's/^MGA_API [^(]*[ *]\(mga_[a-z_0-9]*\)(.*/\1/p' include/mgadvise.h include/mgadvise_analysis.h | \
	    while read -r f; do grep -qw "$$f" man/libmgadvise.3 || echo "$$f"; done); \
	if [ -n "$$missing" ]; then echo "man: libmgadvise(3) does not name" $$missing; exit 1; fi; \
	echo "man: libmgadvise(3) names every function of mgadvise.h and mgadvise_analysis.h"

# Installs into a scratch prefix, builds a program against it with pkg-config (shared and
# static), checks the SONAME, renders the pages and uninstalls (tests/install.sh).
install-check: all
	@MAKE="$(MAKE)" CC="$(CC)" sh tests/install.sh "$(BUILD)" "$(SAN)" "$(OPT)" "$(SANFLAGS)"

# ---- benchmark tools (bench/): `make bench` runs them; not part of `make test` ----

BENCH_COUNT ?= 1000000
BENCH_TOOLS = $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/*.c))

$(BUILD)/bench/%: bench/%.c $(BUILD)/libmgadvise.a include/mgadvise.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_PUB) $(DEPS_CFLAGS) $(CFLAGS_ALL) $(WARN) $(WERROR) \
	    -o $@ $< $(BUILD)/libmgadvise.a $(LDFLAGS_ALL) $(DEPS_LIBS)

# the floor of bench-serve: libmicrohttpd alone
$(BUILD)/bench/serve_floor: bench/serve_floor.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_PUB) $(CFLAGS_ALL) $(WARN) $(WERROR) -pthread -o $@ $< $(LDFLAGS_ALL) $(MHD_LIBS)

# the service's request handler without HTTP: the CLI's handler files on the library
SERVE_HANDLER_SRC = cli/handler.c cli/cds.c cli/declog.c cli/auth.c cli/jtiseen.c cli/fhirfetch.c \
                    cli/jsonval.c cli/mgproduct.c cli/common.c
$(BUILD)/bench/serve_handler: bench/serve_handler.c $(SERVE_HANDLER_SRC) $(CLI_HDRS) \
                              $(BUILD)/libmgadvise.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_PUB) -Icli $(CURL_CFLAGS) $(DEPS_CFLAGS) $(CFLAGS_ALL) $(WARN) $(WERROR) \
	    -pthread -o $@ $< $(SERVE_HANDLER_SRC) $(BUILD)/libmgadvise.a $(LDFLAGS_ALL) \
	    $(DEPS_LIBS) $(MHD_LIBS) $(CURL_LIBS)

bench-tools: $(BENCH_TOOLS)

bench: all bench-tools
	@sh bench/run.sh $(BUILD) $(BENCH_COUNT)
	@sh bench/items.sh $(BUILD)
	@$(MAKE) --no-print-directory bench-lsp
	@$(MAKE) --no-print-directory bench-python
	@$(MAKE) --no-print-directory bench-serve

# The CDS Hooks service under load (bench/serve.sh): wrk, 32 connections for 10 s, against
# patient-view with a 30-resource prefetch, side by side with libmicrohttpd alone answering
# a fixed 2 KB body (bench/serve_floor.c). Debian's wrk, installed on demand.
BENCH_SERVE_SECONDS ?= 10
bench-serve: $(BUILD)/mgadvise $(BUILD)/bench/serve_floor
	@command -v wrk >/dev/null || $(MAKE) --no-print-directory deps DEB_PKGS=wrk
	@sh bench/serve.sh $(BUILD) $(BENCH_SERVE_SECONDS)

# The request handler of the service on one thread without HTTP (bench/serve_handler.c),
# on the request bench-serve sends: the time per request; BENCH_HANDLER_CALLGRIND=1 counts
# the instructions per request under callgrind instead. Not part of `make test`.
BENCH_HANDLER_COUNT ?= 2000
bench-handler: $(BUILD)/bench/serve_handler
	@/usr/bin/python3 bench/serve_body.py $(BUILD)/bench/serve_body.json
	@if [ "$(BENCH_HANDLER_CALLGRIND)" = 1 ]; then \
	    valgrind --tool=callgrind --callgrind-out-file=$(BUILD)/bench/callgrind.serve \
	        --toggle-collect='serve_requests*' $(BUILD)/bench/serve_handler \
	        $(BUILD)/bench/serve_body.json 200 2>$(BUILD)/bench/callgrind.log && \
	    awk '/^summary:/ { printf "serve_handler: %.0f instructions per request (callgrind, 210 requests)\n", $$2 / 210 }' \
	        $(BUILD)/bench/callgrind.serve; \
	else $(BUILD)/bench/serve_handler $(BUILD)/bench/serve_body.json $(BENCH_HANDLER_COUNT); fi

# The language server after a change to the shipped rules: publishDiagnostics, hover and
# completion, median and 90th percentile over BENCH_LSP_CHANGES changes (bench/lsp.py).
BENCH_LSP_CHANGES ?= 50
bench-lsp: all
	@PYTHONDONTWRITEBYTECODE=1 $(PYTHON) bench/lsp.py $(BUILD)/mgadvise $(BENCH_LSP_CHANGES)

# How many advice items the default text shows, over 10,000 generated profiles (quick).
bench-items: bench-tools
	@sh bench/items.sh $(BUILD)

# make identical BASE=<git revision>: the output of BASE's build and of this tree's over
# generated profiles, byte for byte (bench/identical.sh): for changes that must not change
# what the engine writes.
IDENTICAL_COUNT ?= 100000
identical: all bench-tools
	@test -n "$(BASE)" || { echo "usage: make identical BASE=<git revision>"; exit 2; }
	@rm -rf $(BUILD)/identical && git worktree add -q --detach $(BUILD)/identical $(BASE)
	@$(MAKE) --no-print-directory -C $(BUILD)/identical BUILD=build build/mgadvise >/dev/null; \
	    rc=$$?; [ $$rc -eq 0 ] && sh bench/identical.sh $(BUILD)/identical/build/mgadvise \
	        $(BUILD)/mgadvise $(BUILD)/bench/gen $(IDENTICAL_COUNT); rc=$$?; \
	    git worktree remove --force $(BUILD)/identical; exit $$rc

bench-smoke: all bench-tools
	@sh bench/smoke.sh $(BUILD)

# ---- Python (python/mgadvise over libmgadvise.so, Debian's python3; docs/PYTHON.md) ----
# pytest exits 5 when it collected no test: that fails the build as well. Under SAN the
# interpreter loads the sanitizer runtime first (LD_PRELOAD) and leak checks are off
# (the interpreter keeps its memory to the end); the Dask test then uses 20,000 profiles.
PYTHON        = /usr/bin/python3
PY_SAN_ENV    = $(if $(SAN),LD_PRELOAD="$(strip $(foreach r,$(if $(findstring address,$(SAN)),asan) \
                $(if $(findstring undefined,$(SAN)),ubsan),$(shell $(CC) -print-file-name=lib$(r).so)))" \
                ASAN_OPTIONS=detect_leaks=0 MGADVISE_DASK_COUNT=20000)
PY_ENV        = PYTHONDONTWRITEBYTECODE=1 MGADVISE_BUILD=$(BUILD) $(PY_SAN_ENV)
BENCH_PY_COUNT ?= 100000
BENCH_DASK_COUNT ?= 1000000

python-test: all $(BUILD)/bench/gen
	@$(PY_ENV) $(PYTHON) -m pytest -q -p no:cacheprovider tests/python; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "python-test: pytest collected no tests"; exit 1; fi; exit $$rc

# Python rs.batch against mgadvise batch -j 2, and the Dask path with 2 worker processes
# against 1, with their targets (docs/SCALE.md). Part of `make bench`, not of `make test`.
bench-python: all $(BUILD)/bench/gen
	@$(PY_ENV) $(PYTHON) python/bench_python.py --build $(BUILD) --count $(BENCH_PY_COUNT) \
	    --dask-count $(BENCH_DASK_COUNT)

# The start of one `mgadvise eval` against the start of CLIPS's CLI (clips -f2), side by
# side (bench/start.sh; Debian's clips, installed on demand).
bench-start: all bench-tools
	@command -v clips >/dev/null || $(MAKE) --no-print-directory deps DEB_PKGS=clips
	@sh bench/start.sh $(BUILD)

# ---- tests ----

$(BUILD)/tests/test_analyze: tests/unit/test_analyze.c tests/unit/helpers.h $(ANALYZE_OBJ) \
                             $(BUILD)/libmgadvise.a $(ENGINE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) -Itests/unit $(CFLAGS_ALL) $(WARN) -Wno-missing-prototypes $(WERROR) \
	    -o $@ $< $(ANALYZE_OBJ) $(BUILD)/libmgadvise.a $(LDFLAGS_ALL) $(DEPS_LIBS) $(CMOCKA_LIBS) \
	    $(Z3_LIBS)

# The request threads of `mgadvise serve` (cli/workers.c) and its accepted JWT ids
# (cli/jtiseen.c) stand alone: no library.
$(BUILD)/tests/test_workers: tests/unit/test_workers.c cli/workers.c cli/workers.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_PUB) -Icli $(CFLAGS_ALL) $(WARN) -Wno-missing-prototypes $(WERROR) \
	    -pthread -o $@ $< cli/workers.c $(LDFLAGS_ALL) $(CMOCKA_LIBS)

$(BUILD)/tests/test_jtiseen: tests/unit/test_jtiseen.c cli/jtiseen.c cli/jtiseen.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_PUB) -Icli $(CFLAGS_ALL) $(WARN) -Wno-missing-prototypes $(WERROR) \
	    -o $@ $< cli/jtiseen.c $(LDFLAGS_ALL) $(CMOCKA_LIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/helpers.h $(BUILD)/libmgadvise.a $(ENGINE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) -Itests/unit $(CFLAGS_ALL) $(WARN) -Wno-missing-prototypes $(WERROR) \
	    -o $@ $< $(BUILD)/libmgadvise.a $(LDFLAGS_ALL) $(DEPS_LIBS) $(CMOCKA_LIBS)

$(BUILD)/examples/%: examples/%.c $(BUILD)/libmgadvise.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_PUB) $(CFLAGS_ALL) $(WARN) $(WERROR) -o $@ $< \
	    $(BUILD)/libmgadvise.a $(LDFLAGS_ALL) $(DEPS_LIBS)

unit: $(UNIT_TESTS)
	@set -e; for t in $(UNIT_TESTS); do echo "== $$t"; (cd tests/unit && ../../$$t); done

golden: $(BUILD)/mgadvise $(BUILD)/libmgadvise-analysis.so
	@sh tests/golden/run.sh $(BUILD)/mgadvise
	@sh tests/golden/batch/run.sh $(BUILD)/mgadvise
	@sh tests/golden/batch-io.sh $(BUILD)/mgadvise
	@sh tests/golden/tools.sh $(BUILD)/mgadvise
	@sh tests/golden/hostile.sh $(BUILD)/mgadvise
	@sh tests/golden/fhir.sh $(BUILD)/mgadvise

examples-run: $(EXAMPLES) all
	@set -e; for e in $(EXAMPLES); do echo "== $$e"; $$e rules examples/profiles/01-kidney-disease.json | grep -Eq "^critical +avoid +s1_kidney_disease_avoid_supplements"; done; \
	echo "examples: ok"

# The data formats against their definitions (tests/data/check.py, python3-jsonschema): the
# profile schema against the examples, the rejected profiles and the engine's verdicts on
# generated values; check's SARIF and JSON diagnostics against SARIF 2.1.0.
# The official SARIF 2.1.0 schema, from the npm package of Microsoft's SARIF SDK
# (tests/data/sarif: npm ci from its lock file into BUILD/data-npm).
SARIF_SCHEMA = $(BUILD)/data-npm/node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json
data-test: $(BUILD)/mgadvise $(BUILD)/libmgadvise-analysis.so
	@$(PYTHON) -c 'import jsonschema' 2>/dev/null || \
	    { echo "data-test: python3-jsonschema is missing (make deps)"; exit 1; }
	@command -v npm >/dev/null || { echo "data-test: npm is missing (make deps)"; exit 1; }
	@d=$(BUILD)/data-npm; mkdir -p $$d && \
	    cp tests/data/sarif/package.json tests/data/sarif/package-lock.json tests/data/sarif/.npmrc $$d/ && \
	    if ! cmp -s $$d/package-lock.json $$d/node_modules/.mgadvise-lock 2>/dev/null; then \
	        (cd $$d && npm ci --no-audit --no-fund --loglevel=error) >$$d/npm-ci.log 2>&1 || \
	            { cat $$d/npm-ci.log; echo "data-test: npm ci failed (tests/data/sarif)"; exit 1; }; \
	        cp $$d/package-lock.json $$d/node_modules/.mgadvise-lock; \
	    fi
	@PYTHONDONTWRITEBYTECODE=1 SARIF_SCHEMA=$(SARIF_SCHEMA) $(PYTHON) tests/data/check.py $(BUILD)/mgadvise

# `mgadvise lsp` driven through whole editor sessions by a scripted client (tests/lsp/).
lsp-test: $(BUILD)/mgadvise
	@PYTHONDONTWRITEBYTECODE=1 $(PYTHON) tests/lsp/test_lsp.py $(BUILD)/mgadvise

# The editor packages (editors/vscode, editors/vim; docs/EDITORS.md): the TextMate grammars
# on every shipped rule file, the extension and its .vsix, the Vim files, docs/editors-lsp.svg
# against live answers of mgadvise lsp (tests/editors/run.sh; npm ci into $(BUILD)/editors).
editors-test: $(BUILD)/mgadvise
	@sh tests/editors/run.sh $(BUILD)/mgadvise $(BUILD)

# Redraws docs/editors-lsp.svg from what mgadvise lsp answers now (after editors-test has
# installed the npm packages).
editors-svg: $(BUILD)/mgadvise
	@test -d $(BUILD)/editors/test/node_modules || $(MAKE) --no-print-directory editors-test
	NODE_PATH=$(BUILD)/editors/test/node_modules node tests/editors/picture.js $(BUILD)/mgadvise . docs/editors-lsp.svg

# The CDS Hooks service started on a loopback port: discovery, hooks, cards checked against
# CDS Hooks 2.0, bad and oversized requests, a slow client, a clean stop (docs/CDS-HOOKS.md).
serve-test: $(BUILD)/mgadvise
	@PYTHONDONTWRITEBYTECODE=1 $(PYTHON) tests/serve/test_serve.py $(BUILD)/mgadvise

# The shipped rule tests (tests/rules/*.mgt) must pass and fire every rule.
rule-tests: $(BUILD)/mgadvise
	$(BUILD)/mgadvise test --min-coverage 100 tests/rules/

rules-check: $(BUILD)/mgadvise
	$(BUILD)/mgadvise check --sources sources rules/

# docs/DIAGNOSTICS.md is generated from engine/diag_codes.def; docs-check fails when stale.
codes-table:
	sh docs/diagnostics.sh >docs/DIAGNOSTICS.md.tmp && mv docs/DIAGNOSTICS.md.tmp docs/DIAGNOSTICS.md

# `mgadvise fmt --check` lists rule files not in the canonical layout (mgadvise fmt rules/).
fmt-check: $(BUILD)/mgadvise
	@$(BUILD)/mgadvise fmt --check rules/ $(wildcard tests/rules/*.mgt) && echo "fmt: rules/ and tests/rules/ are formatted"

# The picture of the shipped rule graph in docs/CLI.md. Graphviz is needed only here; the
# dot text is checked by docs-check, the SVG (which depends on the Graphviz version) is not.
graph-svg: $(BUILD)/mgadvise
	@command -v dot >/dev/null || $(MAKE) --no-print-directory deps DEB_PKGS=graphviz
	$(BUILD)/mgadvise graph rules/ >docs/rule-graph.dot
	dot -Tsvg docs/rule-graph.dot >docs/rule-graph.svg

# The documentation's examples (tests/docs/run.sh says which blocks run and how), the
# generated diagnostics list and the dot text of the rule graph must match the tree.
DOCS = README.md $(sort $(wildcard docs/*.md)) bench/README.md
DOCS_RUN = DOCS_CC="$(CC) -D_POSIX_C_SOURCE=200809L -pthread $(CFLAGS_ALL) $(WARN) $(WERROR)" \
           DOCS_LIBS="$(LDFLAGS_ALL) $(DEPS_LIBS)" sh tests/docs/run.sh $(BUILD)/mgadvise $(BUILD) $(DOCS)

docs-check: $(BUILD)/mgadvise $(BUILD)/libmgadvise.a
	@$(BUILD)/mgadvise graph rules/ >$(BUILD)/rule-graph.dot; \
	if cmp -s $(BUILD)/rule-graph.dot docs/rule-graph.dot; then echo "docs: docs/rule-graph.dot is current"; \
	else echo "docs: docs/rule-graph.dot differs from the rules (make graph-svg)"; \
	diff docs/rule-graph.dot $(BUILD)/rule-graph.dot | head -20; exit 1; fi
	@sh docs/diagnostics.sh >$(BUILD)/DIAGNOSTICS.md; \
	if cmp -s $(BUILD)/DIAGNOSTICS.md docs/DIAGNOSTICS.md; then echo "docs: docs/DIAGNOSTICS.md is current"; \
	else echo "docs: docs/DIAGNOSTICS.md differs from engine/diag_codes.def (make codes-table)"; \
	diff docs/DIAGNOSTICS.md $(BUILD)/DIAGNOSTICS.md | head -20; exit 1; fi
	@$(DOCS_RUN)

# Rewrites the documentation's output blocks with what their examples print now.
docs-bless: $(BUILD)/mgadvise $(BUILD)/libmgadvise.a
	@DOCS_BLESS=1 $(DOCS_RUN)

# ---- fuzzing ----
# Each harness tests/fuzz/fuzz_<name>.c is built twice: with libFuzzer by `make fuzz`
# (clang, Debian's libclang-rt-14-dev), and with a plain replay driver that `make test`
# runs over the seeds and every regression input kept in tests/fuzz/regress/<name>/.
FUZZERS      = compile eval batch csv mgt fhir serve
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_BUILD   = build-fuzz
FUZZ_SAN     = address,undefined
FUZZ_REPLAY  = $(FUZZERS:%=$(BUILD)/fuzz/replay_%)
fuzz_seeds_compile = rules/*.mga tests/golden/diag/*.mga tests/golden/eval/*/rules.mga \
                     tests/fuzz/seeds/compile/*
fuzz_seeds_eval    = examples/profiles/*.json tests/golden/eval/*/profile.json tests/fuzz/seeds/eval/*
fuzz_seeds_batch   = tests/fuzz/seeds/batch/*
fuzz_seeds_csv     = examples/profiles.csv tests/golden/batch/*/input.csv tests/fuzz/seeds/csv/*
fuzz_seeds_mgt     = tests/rules/*.mgt tests/golden/test/*/*.mgt tests/fuzz/seeds/mgt/*
fuzz_seeds_fhir    = examples/fhir/*.json tests/golden/fhir/*.json tests/fuzz/seeds/fhir/*
fuzz_seeds_serve   = tests/fuzz/seeds/serve/*
fuzz_maxlen_compile = 131072
fuzz_maxlen_eval    = 65536
fuzz_maxlen_batch   = 65536
fuzz_maxlen_csv     = 65536
fuzz_maxlen_mgt     = 131072
fuzz_maxlen_fhir    = 65536
fuzz_maxlen_serve   = 65536
# sets seeds and ml (the longest input libFuzzer makes) for harness $$h, in a recipe's shell
fuzz_case = case $$h in compile) seeds="$(fuzz_seeds_compile)"; ml=$(fuzz_maxlen_compile);; \
                eval) seeds="$(fuzz_seeds_eval)"; ml=$(fuzz_maxlen_eval);; \
                batch) seeds="$(fuzz_seeds_batch)"; ml=$(fuzz_maxlen_batch);; \
                csv) seeds="$(fuzz_seeds_csv)"; ml=$(fuzz_maxlen_csv);; \
                mgt) seeds="$(fuzz_seeds_mgt)"; ml=$(fuzz_maxlen_mgt);; \
                fhir) seeds="$(fuzz_seeds_fhir)"; ml=$(fuzz_maxlen_fhir);; \
                serve) seeds="$(fuzz_seeds_serve)"; ml=$(fuzz_maxlen_serve);; esac
# the batch harness runs the CLI's batch command in process, the serve harness the
# service's request handler
FUZZ_CLI_SRC = cli/batch.c cli/common.c cli/handler.c cli/declog.c cli/cds.c \
               cli/auth.c cli/jtiseen.c cli/fhirfetch.c cli/jsonval.c cli/mgproduct.c

$(BUILD)/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c tests/fuzz/fuzz.h \
                       $(FUZZ_CLI_SRC) $(CLI_HDRS) $(BUILD)/libmgadvise.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_PUB) -Iengine -Icli -Itests/fuzz $(CFLAGS_ALL) $(WARN) \
	    $(WERROR) -pthread -o $@ tests/fuzz/fuzz_$*.c tests/fuzz/replay.c \
	    $(FUZZ_CLI_SRC) $(BUILD)/libmgadvise.a $(LDFLAGS_ALL) $(DEPS_LIBS) $(MHD_LIBS) \
	    $(CURL_LIBS)

fuzz-regress: $(FUZZ_REPLAY)
	@set -e; for h in $(FUZZERS); do \
	    $(fuzz_case); \
	    printf '== fuzz regressions (%s): ' $$h; \
	    $(BUILD)/fuzz/replay_$$h $$seeds $$(find tests/fuzz/regress/$$h -type f 2>/dev/null | sort); done

# make fuzz [FUZZ_SECONDS=N] [FUZZERS="compile eval"]: runs each harness for N seconds from
# a corpus seeded with the rules, the examples and the golden tests; a crash, leak or
# timeout leaves its input in $(FUZZ_BUILD)/artifacts/ and fails the target.
fuzz:
	@command -v $(FUZZ_CC) >/dev/null || { echo "mgadvise: clang is missing (apt-get install clang libclang-rt-14-dev)"; exit 1; }
	$(MAKE) --no-print-directory CC=$(FUZZ_CC) BUILD=$(FUZZ_BUILD) SAN=fuzzer-no-link,$(FUZZ_SAN) OPT=-O1 \
	    $(FUZZ_BUILD)/libmgadvise.a
	@set -e; mkdir -p $(FUZZ_BUILD)/artifacts; for h in $(FUZZERS); do \
	    $(FUZZ_CC) $(CPPFLAGS_PUB) -Iengine -Icli -Itests/fuzz -std=c11 -O1 -g \
	        -fsanitize=fuzzer,$(FUZZ_SAN) -fno-sanitize-recover=all $(WARN) $(WERROR) -pthread \
	        -o $(FUZZ_BUILD)/fuzz_$$h tests/fuzz/fuzz_$$h.c \
	        $(FUZZ_CLI_SRC) $(FUZZ_BUILD)/libmgadvise.a $(DEPS_LIBS) $(MHD_LIBS) $(CURL_LIBS); \
	    $(fuzz_case); \
	    c=$(FUZZ_BUILD)/corpus/$$h; mkdir -p $$c; \
	    for f in $$seeds; do cp "$$f" "$$c/$$(echo "$$f" | tr / -)"; done; \
	    [ -d tests/fuzz/regress/$$h ] && cp tests/fuzz/regress/$$h/* $$c/ 2>/dev/null || true; \
	    echo "== fuzz_$$h for $(FUZZ_SECONDS) s"; \
	    $(FUZZ_BUILD)/fuzz_$$h -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	        -max_len=$$ml -dict=tests/fuzz/$$h.dict -print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$h- \
	        $$c >$(FUZZ_BUILD)/fuzz_$$h.log 2>&1 || { tail -40 $(FUZZ_BUILD)/fuzz_$$h.log; exit 1; }; \
	    grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)' $(FUZZ_BUILD)/fuzz_$$h.log; \
	    grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|REDUCE|NEW)' $(FUZZ_BUILD)/fuzz_$$h.log | tail -1; \
	done

test: all unit golden examples-run rules-check rule-tests fmt-check docs-check fuzz-regress bench-smoke \
      man-check install-check python-test cli-deps-check structure-check data-test lsp-test serve-test \
      editors-test
	@echo "mgadvise: all tests passed ($(BUILD))"

bless: $(BUILD)/mgadvise
	@BLESS=1 sh tests/golden/run.sh $(BUILD)/mgadvise
	@BLESS=1 sh tests/golden/batch/run.sh $(BUILD)/mgadvise
	@BLESS=1 sh tests/golden/batch-io.sh $(BUILD)/mgadvise
	@BLESS=1 sh tests/golden/tools.sh $(BUILD)/mgadvise
	@BLESS=1 sh tests/golden/fhir.sh $(BUILD)/mgadvise

# The whole suite under Valgrind memcheck: any memory error or definite/indirect leak
# fails it (exit 99 shows up in the golden diffs as well).
VALGRIND = valgrind --quiet --error-exitcode=99 --leak-check=full \
           --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect

test-valgrind: all $(UNIT_TESTS) $(FUZZ_REPLAY)
	@command -v valgrind >/dev/null || { echo "mgadvise: valgrind is missing (apt-get install valgrind)"; exit 1; }
	@set -e; for t in $(UNIT_TESTS); do echo "== valgrind $$t"; (cd tests/unit && $(VALGRIND) ../../$$t); done
	@mkdir -p $(BUILD)/valgrind; \
	printf '#!/bin/sh\nexec %s %s "$$@"\n' "$(VALGRIND)" "$(abspath $(BUILD)/mgadvise)" >$(BUILD)/valgrind/mgadvise; \
	chmod +x $(BUILD)/valgrind/mgadvise
	@CHECK_ARGS="--time-limit 3600" sh tests/golden/run.sh $(BUILD)/valgrind/mgadvise
	@VALGRIND=1 sh tests/golden/batch/run.sh $(BUILD)/valgrind/mgadvise
	@sh tests/golden/tools.sh $(BUILD)/valgrind/mgadvise
	@$(BUILD)/valgrind/mgadvise test --min-coverage 100 tests/rules/
	@$(BUILD)/valgrind/mgadvise check --time-limit 3600 --sources sources rules/ >/dev/null
	@set -e; for h in $(FUZZERS); do \
	    $(fuzz_case); \
	    printf '== valgrind fuzz regressions (%s): ' $$h; \
	    $(VALGRIND) $(BUILD)/fuzz/replay_$$h $$seeds $$(find tests/fuzz/regress/$$h -type f 2>/dev/null | sort); done
	@echo "mgadvise: all tests passed under valgrind ($(BUILD))"

# One compiled rule graph evaluated from 8 threads at once, under ThreadSanitizer: the
# library test compares every thread's output with the single-threaded one, the library's
# batch engine runs with 1 to 4 workers, and batch -j 8 must equal -j 1 byte for byte; the
# CDS Hooks service's test (the decision log from many threads, SIGHUP reloads under
# concurrent requests) runs on the TSan build too.
test-tsan:
	$(MAKE) --no-print-directory BUILD=build-tsan SAN=thread OPT=-O1 build-tsan/tests/test_api \
	    build-tsan/tests/test_batch build-tsan/tests/test_workers build-tsan/mgadvise \
	    build-tsan/libmgadvise-analysis.so
	cd tests/unit && TSAN_OPTIONS=halt_on_error=1 ../../build-tsan/tests/test_api
	cd tests/unit && TSAN_OPTIONS=halt_on_error=1 ../../build-tsan/tests/test_workers
	cd tests/unit && TSAN_OPTIONS=halt_on_error=1 ../../build-tsan/tests/test_batch
	@set -e; t=$$(mktemp -d); trap 'rm -rf "$$t"' EXIT; \
	awk -v n=3000 -v bad=41 -v blank=60 -f tests/golden/batch/gen.awk >$$t/in; \
	TSAN_OPTIONS=halt_on_error=1 build-tsan/mgadvise batch -q -j 1 $$t/in >$$t/o1 2>$$t/e1 || [ $$? -eq 1 ]; \
	TSAN_OPTIONS=halt_on_error=1 build-tsan/mgadvise batch -q -j 8 $$t/in >$$t/o8 2>$$t/e8 || [ $$? -eq 1 ]; \
	if grep -q ThreadSanitizer $$t/e1 $$t/e8; then cat $$t/e8; exit 1; fi; \
	cmp $$t/o1 $$t/o8 && [ $$(wc -l <$$t/o8) -eq 3000 ] && \
	echo "tsan: 8 threads on one rule graph agree with 1 (library and batch)"
	@# the language server's analysis worker against its main thread (Z3 itself is not
	@# instrumented: tests/lsp/tsan.supp)
	TSAN_OPTIONS="halt_on_error=1 suppressions=$(CURDIR)/tests/lsp/tsan.supp" \
	    PYTHONDONTWRITEBYTECODE=1 $(PYTHON) tests/lsp/test_lsp.py build-tsan/mgadvise
	@TSAN_OPTIONS=halt_on_error=1 PYTHONDONTWRITEBYTECODE=1 $(PYTHON) tests/serve/test_serve.py \
	    build-tsan/mgadvise

sanitize test-asan:
	$(MAKE) SAN=address,undefined OPT=-O1 test

clean:
	rm -rf build build-san build-fuzz build-tsan
