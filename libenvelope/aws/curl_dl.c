/* Loading libcurl at run time: dlopen + dlsym into a table, once. */
#include "aws/curl_dl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "base/context.h"

const char *curl_dl_soname = CURL_DL_SONAME;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct curl_api api;
static int loaded;
static char load_error[256];

/* dlsym returns void *; POSIX guarantees it converts to a function pointer. */
#define SYM(field, name)                                                               \
    do {                                                                               \
        void *p_ = dlsym(lib, name);                                                   \
        if (p_ == NULL) {                                                              \
            snprintf(load_error, sizeof(load_error), "%s has no %s", curl_dl_soname,   \
                     name);                                                            \
            return;                                                                    \
        }                                                                              \
        memcpy(&api.field, &p_, sizeof(p_));                                           \
    } while (0)

static void load(void)
{
    CURLcode (*global_init)(long) = NULL;
    const char *why;
    void *lib, *p;

    /* RTLD_LOCAL: curl's symbols stay out of the program's namespace; never
     * closed, as curl keeps global state (OpenSSL, DNS) for the process. */
    lib = dlopen(curl_dl_soname, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        why = dlerror();
        snprintf(load_error, sizeof(load_error), "%s", why ? why : curl_dl_soname);
        return;
    }
    SYM(easy_init, "curl_easy_init");
    SYM(easy_setopt, "curl_easy_setopt");
    SYM(easy_perform, "curl_easy_perform");
    SYM(easy_getinfo, "curl_easy_getinfo");
    SYM(easy_cleanup, "curl_easy_cleanup");
    SYM(easy_strerror, "curl_easy_strerror");
    SYM(slist_append, "curl_slist_append");
    SYM(slist_free_all, "curl_slist_free_all");
    if ((p = dlsym(lib, "curl_global_init")) == NULL) {
        snprintf(load_error, sizeof(load_error), "%s has no curl_global_init", curl_dl_soname);
        return;
    }
    memcpy(&global_init, &p, sizeof(p));
    /* Under pthread_once, so called once even where curl_global_init is not
     * itself thread-safe. */
    if (global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(load_error, sizeof(load_error), "curl_global_init failed");
        return;
    }
    __atomic_store_n(&loaded, 1, __ATOMIC_RELEASE);
}

envelope_rc curl_dl_get(envelope_ctx *ctx, const struct curl_api **out)
{
    *out = NULL;
    if (pthread_once(&once, load) != 0 || !loaded)
        return fail(ctx, ENVELOPE_E_UNSUPPORTED,
                    "KMS keys need libcurl, which could not be loaded (%s): install the "
                    "libcurl4 package",
                    load_error[0] ? load_error : "pthread_once failed");
    *out = &api;
    return ENVELOPE_OK;
}

int curl_dl_loaded(void)
{
    return __atomic_load_n(&loaded, __ATOMIC_ACQUIRE);
}
