/* SPDX-License-Identifier: MIT */
/* Loads libmgadvise-analysis (the Z3 analysis of `check`) with dlopen (cli/plugin.c), only
 * when check runs it, so that no other command pays for loading Z3: next to the
 * executable first, then the installed library folder, then the dynamic loader's default
 * search path. */
#include "cli.h"

#include <dlfcn.h>
#include <stdio.h>

#ifndef MGA_ANALYSIS_SONAME
#error "MGA_ANALYSIS_SONAME (the file name of libmgadvise-analysis to load) is not defined"
#endif
#ifndef MGA_LIBDIR
#error "MGA_LIBDIR (the folder libmgadvise-analysis is installed in) is not defined"
#endif

typedef mga_status (*install_fn)(mga_engine *, const mga_analysis_options *,
                                 mga_analysis_stats *);

mga_status cli_analysis_install(mga_engine *eng, const mga_analysis_options *opt,
                                mga_analysis_stats *stats, char *why, size_t cap)
{
    void *h = cli_plugin_open(MGA_ANALYSIS_SONAME, MGA_LIBDIR, true, "mga_analysis_version",
                              "analysis library", why, cap);
    if (!h)
        return MGA_E_IO;
    install_fn install = NULL;
    *(void **)&install = dlsym(h, "mga_analysis_install");
    if (!install) {
        snprintf(why, cap, "%s: not an mgadvise analysis library", MGA_ANALYSIS_SONAME);
        dlclose(h);
        return MGA_E_IO;
    }
    /* kept loaded for the rest of the process: the engine calls into it on every compile */
    return install(eng, opt, stats);
}
