/* libxml2, loaded at the first STS call rather than linked, as libcurl is
 * (curl_dl.h): the library initialises it only for a role (a process that
 * opens a compat envelope has it mapped already, through libarchive). The
 * types and constants come from libxml2's headers at build time; only the
 * few functions the STS answers need are looked up. */
#ifndef ENVELOPE_XML_DL_H
#define ENVELOPE_XML_DL_H

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "envelope.h"

#define XML_DL_SONAME "libxml2.so.2"

struct xml_api {
    xmlDocPtr (*read_memory)(const char *buffer, int size, const char *url,
                             const char *encoding, int options);
    void (*free_doc)(xmlDocPtr doc);
};

/* The loaded table, loading libxml2 and running xmlInitParser on the first
 * call (thread-safe; the library stays loaded, and xmlCleanupParser is never
 * called: the host program may use libxml2 itself). On failure:
 * ENVELOPE_E_UNSUPPORTED with a detail naming the package. */
envelope_rc xml_dl_get(envelope_ctx *ctx, const struct xml_api **out);
/* 1 once libxml2 has been loaded by this library. */
int xml_dl_loaded(void);

/* For tests only: the file name dlopen is given, read once at the first
 * xml_dl_get(). */
extern const char *xml_dl_soname;

#endif
