/* Loading libarchive at run time: dlopen + dlsym into a table, once. */
#include "pipeline/archive_dl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "base/context.h"

const char *archive_dl_soname = ARCHIVE_DL_SONAME;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct archive_api api;
static int loaded;
static char load_error[256];

/* dlsym returns void *; POSIX guarantees it converts to a function pointer. */
static int sym(void *lib, const char *name, void *field)
{
    void *p = dlsym(lib, name);

    if (p == NULL) {
        snprintf(load_error, sizeof(load_error), "%s has no %s", archive_dl_soname, name);
        return -1;
    }
    memcpy(field, &p, sizeof(p));
    return 0;
}

#define ARCHIVE_DL_SYM(f)                                                                      \
    if (sym(lib, "archive_" #f, &api.f) != 0)                                                  \
        return;

static void load(void)
{
    const char *why;
    void *lib;

    /* RTLD_LOCAL: libarchive's symbols stay out of the program's namespace;
     * never closed, as a table once handed out must stay valid. */
    lib = dlopen(archive_dl_soname, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        why = dlerror();
        snprintf(load_error, sizeof(load_error), "%s", why ? why : archive_dl_soname);
        return;
    }
    ARCHIVE_DL_FUNCTIONS(ARCHIVE_DL_SYM)
    __atomic_store_n(&loaded, 1, __ATOMIC_RELEASE);
}

envelope_rc archive_dl_get(envelope_ctx *ctx, const struct archive_api **out)
{
    *out = NULL;
    if (pthread_once(&once, load) != 0 || !__atomic_load_n(&loaded, __ATOMIC_ACQUIRE))
        return fail(ctx, ENVELOPE_E_UNSUPPORTED,
                    "compat envelopes need libarchive, which could not be loaded (%s): "
                    "install the libarchive13 package",
                    load_error[0] ? load_error : "pthread_once failed");
    *out = &api;
    return ENVELOPE_OK;
}

int archive_dl_loaded(void)
{
    return __atomic_load_n(&loaded, __ATOMIC_ACQUIRE);
}
