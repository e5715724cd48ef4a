/* SPDX-License-Identifier: MIT */
/* Finds and opens the CLI's plugins with dlopen, so that a command pays the dynamic loader
 * only for what it uses: libmgadvise-analysis (Z3, for check) and mgadvise-serve.so (HTTP,
 * TLS, JSON Web Tokens and libcurl, for serve). Next to the executable first (a build tree,
 * or a relocated install), then the folder the install put it in, then, when asked, the
 * dynamic loader's own search path. A candidate counts only when it is of this very
 * version. `mgadvise serve` itself runs from here: the plugin's entry point. */
#include "cli.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef MGA_SERVE_PLUGIN
#error "MGA_SERVE_PLUGIN (the file name of the serve plugin) is not defined"
#endif
#ifndef MGA_PLUGINDIR
#error "MGA_PLUGINDIR (the folder the serve plugin is installed in) is not defined"
#endif

/* Appends "; " (after the first) and text to why[0, cap), cut short to fit. */
static void why_add(char *why, size_t cap, const char *text)
{
    size_t n = strlen(why);
    if (n + 3 >= cap)
        return;
    snprintf(why + n, cap - n, "%s%s", n ? "; " : "", text);
}

/* One candidate: opened and of this version (its version_sym returns MGA_VERSION); else
 * NULL, and why not added to why. */
static void *try_open(const char *path, const char *version_sym, const char *what, char *why,
                      size_t cap)
{
    char msg[CLI_ESC_CAP];
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        /* dlerror names the path already ("PATH: cannot open shared object file: ...") */
        why_add(why, cap, e ? e : path);
        return NULL;
    }
    /* POSIX lets a dlsym result be read as a function pointer; ISO C has no cast for it */
    const char *(*version)(void) = NULL;
    *(void **)&version = dlsym(h, version_sym);
    if (!version) {
        snprintf(msg, sizeof msg, "%s: not an mgadvise %s", path, what);
        why_add(why, cap, msg);
        dlclose(h);
        return NULL;
    }
    if (strcmp(version(), MGA_VERSION) != 0) {
        snprintf(msg, sizeof msg, "%s: from mgadvise %.32s, not %s", path, version(),
                 MGA_VERSION);
        why_add(why, cap, msg);
        dlclose(h);
        return NULL;
    }
    return h;
}

void *cli_plugin_open(const char *file, const char *dir, bool search, const char *version_sym,
                      const char *what, char *why, size_t cap)
{
    char path[4096];
    void *h = NULL;
    why[0] = '\0';
    /* 1. next to the executable */
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n > 0 && (size_t)n < sizeof path - 1) {
        path[n] = '\0';
        char *slash = strrchr(path, '/');
        size_t flen = strlen(file) + 1;
        if (slash && (size_t)(slash + 1 - path) + flen <= sizeof path) {
            memcpy(slash + 1, file, flen);
            if ((h = try_open(path, version_sym, what, why, cap)))
                return h;
        }
    }
    /* 2. the folder of the install */
    if (dir && (size_t)snprintf(path, sizeof path, "%s/%s", dir, file) < sizeof path &&
        (h = try_open(path, version_sym, what, why, cap)))
        return h;
    /* 3. the dynamic loader's search path (LD_LIBRARY_PATH, ld.so.cache) */
    if (search)
        h = try_open(file, version_sym, what, why, cap);
    return h;
}

int cli_serve_run(int argc, char **argv)
{
    char why[1024];
    void *h = cli_plugin_open(MGA_SERVE_PLUGIN, MGA_PLUGINDIR, false, "mgadvise_serve_version",
                              "serve plugin", why, sizeof why);
    if (!h) {
        char esc[CLI_ESC_CAP];
        fprintf(stderr, "mgadvise serve: cannot load the service (%s)\n",
                cli_esc(esc, sizeof esc, why));
        return 3;
    }
    int (*serve_main)(int, char **) = NULL;
    *(void **)&serve_main = dlsym(h, "mgadvise_serve_main");
    if (!serve_main) {
        fprintf(stderr, "mgadvise serve: cannot load the service (no entry point)\n");
        dlclose(h);
        return 3;
    }
    /* kept loaded to the end of the process: its threads and handlers run in it */
    return serve_main(argc, argv);
}
