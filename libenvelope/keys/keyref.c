/* Key references that name files: "file:PATH" or a path, and reading the
 * file into memory that is wiped when freed. References to keys elsewhere
 * are the backends' (keys/backends.c). */
#include "keys/keyref.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/context.h"
#include "keys/keys.h"

#define KEY_FILE_MAX (1 << 20) /* a 16384-bit RSA PEM is ~13 KiB */

const char *keyref_file_path(const char *ref)
{
    return strncmp(ref, "file:", 5) == 0 ? ref + 5 : ref;
}

envelope_rc key_file_read(envelope_ctx *ctx, const char *path, struct bytes *b)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    uint8_t chunk[4096];
    size_t n;
    envelope_rc rc = ENVELOPE_OK;

    if (f == NULL)
        return fail(ctx, ENVELOPE_E_KEY_LOAD, "%s: %s", path, strerror(errno));
    /* fopen() opens a directory; its first read would only say "read error". */
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        return fail(ctx, ENVELOPE_E_KEY_LOAD, "%s: is a directory, not a key file", path);
    }
    /* Unbuffered: stdio would keep a copy of the key in a buffer that
     * fclose() frees without wiping. */
    setvbuf(f, NULL, _IONBF, 0);
    b->secret = 1;
    b->limit = KEY_FILE_MAX;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (bytes_append(b, chunk, n) != 0) {
            rc = fail(ctx, ENVELOPE_E_KEY_LOAD, "%s: larger than any key file", path);
            break;
        }
    }
    if (rc == ENVELOPE_OK && ferror(f))
        rc = fail(ctx, ENVELOPE_E_KEY_LOAD, "%s: read error", path);
    OPENSSL_cleanse(chunk, sizeof(chunk));
    fclose(f);
    return rc;
}
