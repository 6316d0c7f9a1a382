/* libcurl, loaded at the first KMS call rather than linked (docs/DESIGN.md,
 * "libcurl and libxml2, loaded at first use"):
 * a program that only uses local keys never maps it or the 30-odd libraries
 * it pulls in. The table holds the few functions the HTTP layer calls; the
 * constants come from <curl/curl.h> at build time. */
#ifndef ENVELOPE_CURL_DL_H
#define ENVELOPE_CURL_DL_H

#include <curl/curl.h>

#include "envelope.h"

#define CURL_DL_SONAME "libcurl.so.4"

struct curl_api {
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *h, CURLoption opt, ...);
    CURLcode (*easy_perform)(CURL *h);
    CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
    void (*easy_cleanup)(CURL *h);
    const char *(*easy_strerror)(CURLcode code);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
    void (*slist_free_all)(struct curl_slist *list);
};

/* The loaded table, loading libcurl on the first call (thread-safe; the
 * library stays loaded). On failure: ENVELOPE_E_UNSUPPORTED with a detail
 * naming the package. */
envelope_rc curl_dl_get(envelope_ctx *ctx, const struct curl_api **out);
/* 1 once libcurl has been loaded by this library. */
int curl_dl_loaded(void);

/* For tests only: the file name dlopen is given, read once at the first
 * curl_dl_get(). */
extern const char *curl_dl_soname;

#endif
