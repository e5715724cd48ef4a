/* SPDX-License-Identifier: MIT */
/* Loads libmgadvise-analysis (the Z3 analysis of `check`) with dlopen, only when check runs
 * it, so that no other command pays for loading Z3: next to the executable first, then the
 * installed library folder, then the dynamic loader's default search path. */
#include "cli.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef MGA_ANALYSIS_SONAME
#error "MGA_ANALYSIS_SONAME (the file name of libmgadvise-analysis to load) is not defined"
#endif

typedef mga_status (*install_fn)(mga_engine *, const mga_analysis_options *,
                                 mga_analysis_stats *);
typedef const char *(*version_fn)(void);

/* Appends "; " (after the first) and text to why[0, cap), cut short to fit. */
static void why_add(char *why, size_t cap, const char *text)
{
    size_t n = strlen(why);
    if (n + 3 >= cap)
        return;
    snprintf(why + n, cap - n, "%s%s", n ? "; " : "", text);
}

/* One candidate: loaded and of this version, with *install set; else why it is not. */
static int try_load(const char *path, install_fn *install, char *why, size_t cap)
{
    char msg[CLI_ESC_CAP];
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        /* dlerror names the path already ("PATH: cannot open shared object file: ...") */
        why_add(why, cap, e ? e : path);
        return -1;
    }
    /* POSIX lets a dlsym result be read as a function pointer; ISO C has no cast for it */
    version_fn version = NULL;
    install_fn in = NULL;
    *(void **)&version = dlsym(h, "mga_analysis_version");
    *(void **)&in = dlsym(h, "mga_analysis_install");
    if (!version || !in) {
        snprintf(msg, sizeof msg, "%s: not an mgadvise analysis library", path);
        why_add(why, cap, msg);
        dlclose(h);
        return -1;
    }
    if (strcmp(version(), MGA_VERSION) != 0) {
        snprintf(msg, sizeof msg, "%s: from mgadvise %.32s, not %s", path, version(),
                 MGA_VERSION);
        why_add(why, cap, msg);
        dlclose(h);
        return -1;
    }
    /* kept loaded for the rest of the process: the engine calls into it on every compile */
    *install = in;
    return 0;
}

mga_status cli_analysis_install(mga_engine *eng, const mga_analysis_options *opt,
                                mga_analysis_stats *stats, char *why, size_t cap)
{
    install_fn install = NULL;
    char path[4096];
    why[0] = '\0';
    /* 1. next to the executable: a build tree, or a relocated install */
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n > 0 && (size_t)n < sizeof path - 1) {
        path[n] = '\0';
        char *slash = strrchr(path, '/');
        if (slash && (size_t)(slash + 1 - path) + sizeof MGA_ANALYSIS_SONAME <= sizeof path) {
            memcpy(slash + 1, MGA_ANALYSIS_SONAME, sizeof MGA_ANALYSIS_SONAME);
            if (try_load(path, &install, why, cap) == 0)
                goto found;
        }
    }
#ifdef MGA_LIBDIR
    /* 2. the library folder of the install */
    if ((size_t)snprintf(path, sizeof path, "%s/%s", MGA_LIBDIR, MGA_ANALYSIS_SONAME) <
            sizeof path &&
        try_load(path, &install, why, cap) == 0)
        goto found;
#endif
    /* 3. the dynamic loader's search path (LD_LIBRARY_PATH, ld.so.cache) */
    if (try_load(MGA_ANALYSIS_SONAME, &install, why, cap) == 0)
        goto found;
    return MGA_E_IO;
found:
    why[0] = '\0';
    return install(eng, opt, stats);
}
