/* Loading libxml2 at run time: dlopen + dlsym into a table, once. */
#include "aws/xml_dl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "base/context.h"

const char *xml_dl_soname = XML_DL_SONAME;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct xml_api api;
static int loaded;
static char load_error[256];

/* dlsym returns void *; POSIX guarantees it converts to a function pointer. */
static int sym(void *lib, const char *name, void *field)
{
    void *p = dlsym(lib, name);

    if (p == NULL) {
        snprintf(load_error, sizeof(load_error), "%s has no %s", xml_dl_soname, name);
        return -1;
    }
    memcpy(field, &p, sizeof(p));
    return 0;
}

static void load(void)
{
    void (*init_parser)(void) = NULL;
    const char *why;
    void *lib;

    /* RTLD_LOCAL: libxml2's symbols stay out of the program's namespace;
     * never closed, as libxml2 keeps global state once initialised. */
    lib = dlopen(xml_dl_soname, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        why = dlerror();
        snprintf(load_error, sizeof(load_error), "%s", why ? why : xml_dl_soname);
        return;
    }
    if (sym(lib, "xmlReadMemory", &api.read_memory) != 0 ||
        sym(lib, "xmlFreeDoc", &api.free_doc) != 0 ||
        sym(lib, "xmlInitParser", &init_parser) != 0)
        return;
    /* Once, under pthread_once: libxml2 asks for it before threads parse.
     * No error handler is installed: the parser is told not to report. */
    init_parser();
    __atomic_store_n(&loaded, 1, __ATOMIC_RELEASE);
}

envelope_rc xml_dl_get(envelope_ctx *ctx, const struct xml_api **out)
{
    *out = NULL;
    if (pthread_once(&once, load) != 0 || !__atomic_load_n(&loaded, __ATOMIC_ACQUIRE))
        return fail(ctx, ENVELOPE_E_UNSUPPORTED,
                    "assuming a role needs libxml2, which could not be loaded (%s): install "
                    "the libxml2 package",
                    load_error[0] ? load_error : "pthread_once failed");
    *out = &api;
    return ENVELOPE_OK;
}

int xml_dl_loaded(void)
{
    return __atomic_load_n(&loaded, __ATOMIC_ACQUIRE);
}
