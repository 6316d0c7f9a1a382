/* libarchive, loaded at the first compat seal or open rather than linked
 * (docs/DESIGN.md, "libarchive, loaded at first use by the compat format"),
 * as libcurl is (aws/curl_dl.h): only the compat format's gzip'd tar needs
 * it, and a process that never touches a compat envelope never maps it or
 * the libraries it pulls in. The types and constants come from
 * <archive.h> at build time; each pointer has the type of the function
 * it is loaded for, taken from the same headers. */
#ifndef ENVELOPE_ARCHIVE_DL_H
#define ENVELOPE_ARCHIVE_DL_H

#include <archive.h>
#include <archive_entry.h>

#include "envelope.h"

#define ARCHIVE_DL_SONAME "libarchive.so.13"

/* Every libarchive function the compat code calls, without the archive_
 * prefix: X(read_new) is archive_read_new. */
#define ARCHIVE_DL_FUNCTIONS(X)                                                                \
    X(entry_new)                                                                               \
    X(entry_free)                                                                              \
    X(entry_filetype)                                                                          \
    X(entry_hardlink)                                                                          \
    X(entry_pathname_utf8)                                                                     \
    X(entry_size)                                                                              \
    X(entry_sparse_count)                                                                      \
    X(entry_symlink)                                                                           \
    X(entry_set_filetype)                                                                      \
    X(entry_set_mtime)                                                                         \
    X(entry_set_pathname_utf8)                                                                 \
    X(entry_set_perm)                                                                          \
    X(entry_set_size)                                                                          \
    X(error_string)                                                                            \
    X(filter_bytes)                                                                            \
    X(filter_code)                                                                             \
    X(read_new)                                                                                \
    X(read_free)                                                                               \
    X(read_support_filter_gzip)                                                                \
    X(read_support_format_raw)                                                                 \
    X(read_support_format_tar)                                                                 \
    X(read_set_read_callback)                                                                  \
    X(read_set_callback_data)                                                                  \
    X(read_open1)                                                                              \
    X(read_next_header2)                                                                       \
    X(read_header_position)                                                                    \
    X(read_data)                                                                               \
    X(write_new)                                                                               \
    X(write_free)                                                                              \
    X(write_set_format_ustar)                                                                  \
    X(write_add_filter_gzip)                                                                   \
    X(write_set_bytes_in_last_block)                                                           \
    X(write_open2)                                                                             \
    X(write_header)                                                                            \
    X(write_data)                                                                              \
    X(write_close)

#define ARCHIVE_DL_FIELD(f) __typeof__(archive_##f) *f;
struct archive_api {
    ARCHIVE_DL_FUNCTIONS(ARCHIVE_DL_FIELD)
};
#undef ARCHIVE_DL_FIELD

/* The loaded table, loading libarchive on the first call (thread-safe; the
 * library stays loaded). On failure: ENVELOPE_E_UNSUPPORTED with a detail
 * naming the library, why it did not load and the package. */
envelope_rc archive_dl_get(envelope_ctx *ctx, const struct archive_api **out);
/* 1 once libarchive has been loaded by this library. */
int archive_dl_loaded(void);

/* For tests only: the file name dlopen is given, read once at the first
 * archive_dl_get(). */
extern const char *archive_dl_soname;

#endif
