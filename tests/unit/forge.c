/* Crafting archives and envelopes for the negative tests (forge.h). This
 * file is compiled as part of testutil.c, which the Makefile links into
 * every suite. */
#include "forge.h"

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "keys/keys.h"
#include "pipeline/pipeline.h"
#include "format/stream.h"
#include "testutil.h"

static la_ssize_t to_bytes(struct archive *a, void *arg, const void *p, size_t n)
{
    (void)a;
    return bytes_append(arg, p, n) == 0 ? (la_ssize_t)n : -1;
}

static void add_entry(struct archive *a, const struct tar_entry *t)
{
    struct archive_entry *e = archive_entry_new();

    archive_entry_set_pathname(e, t->name);
    archive_entry_set_filetype(e, t->type ? t->type : AE_IFREG);
    archive_entry_set_perm(e, 0600);
    archive_entry_set_mtime(e, TEST_CREATED, 0);
    if (t->link && t->hardlink)
        archive_entry_set_hardlink(e, t->link);
    else if (t->link)
        archive_entry_set_symlink(e, t->link);
    archive_entry_set_size(e, (la_int64_t)t->size);
    ck_assert_msg(archive_write_header(a, e) == ARCHIVE_OK, "tar header %s: %s", t->name,
                  archive_error_string(a));
    if (t->size)
        ck_assert_int_eq(archive_write_data(a, t->data, t->size), (la_ssize_t)t->size);
    archive_entry_free(e);
}

uint8_t *forge_tar(int format, int gzip, const struct tar_entry *e, size_t n, size_t *len)
{
    struct archive *a = archive_write_new();
    struct bytes out = {0};

    if (format == FORGE_V7TAR)
        ck_assert_int_eq(archive_write_set_format_v7tar(a), ARCHIVE_OK);
    else
        ck_assert_int_eq(archive_write_set_format(a, format), ARCHIVE_OK);
    if (gzip)
        ck_assert_int_eq(archive_write_add_filter_gzip(a), ARCHIVE_OK);
    ck_assert_int_eq(archive_write_set_bytes_per_block(a, 0), ARCHIVE_OK);
    ck_assert_int_eq(archive_write_open2(a, &out, NULL, to_bytes, NULL, NULL), ARCHIVE_OK);
    for (size_t i = 0; i < n; i++)
        add_entry(a, &e[i]);
    ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    return bytes_steal(&out, len);
}

void forge_begin(envelope_ctx *ctx, struct forge *f, envelope_key *recipient, const char *label)
{
    struct header h = {0};
    uint8_t digest[32];

    memset(f, 0, sizeof(*f));
    ck_assert_int_eq(RAND_bytes(f->data_key, DATA_KEY_LEN), 1);
    ck_assert_int_eq(RAND_bytes(h.salt, SALT_LEN), 1);
    h.n_stanzas = 1;
    ck_assert_rc(key_wrap(ctx, recipient, f->data_key, DATA_KEY_LEN, h.stanzas[0].wrapped,
                          &h.stanzas[0].wrapped_len),
                 ENVELOPE_OK);
    strcpy(h.stanzas[0].label, label ? label : recipient->fingerprint);
    ck_assert_rc(header_encode(ctx, &h, &f->header), ENVELOPE_OK);
    ck_assert_int_eq(EVP_Digest(f->header.p, f->header.len, digest, NULL, EVP_sha256(), NULL),
                     1);
    hex_lower(digest, sizeof(digest), f->header_sha256);
}

void forge_manifest(envelope_ctx *ctx, const struct forge *f, envelope_key *signer,
                    const char *name, const uint8_t *msg, size_t n, struct manifest *m)
{
    (void)ctx;
    memset(m, 0, sizeof(*m));
    strcpy(m->name, name);
    m->size = n;
    sha512_hex(msg, n, m->sha512);
    strcpy(m->header_sha256, f->header_sha256);
    m->n_recipients = 1;
    /* what the sender knew; informational only */
    strcpy(m->recipients[0].key,
           "sha256:a1f8a346d3292f918ae0985f8b23a16726b3e1a538af86a91f1b86738e676a28");
    strcpy(m->signer.key, signer->fingerprint);
    m->created = TEST_CREATED;
}

void forge_sign(envelope_ctx *ctx, const struct manifest *m, envelope_key *signer,
                struct bytes *json, struct bytes *sig)
{
    uint8_t s[SIG_MAX];
    size_t n;

    memset(json, 0, sizeof(*json));
    memset(sig, 0, sizeof(*sig));
    ck_assert_rc(manifest_encode(ctx, m, json), ENVELOPE_OK);
    ck_assert_rc(key_sign(ctx, signer, json->p, json->len, s, &n), ENVELOPE_OK);
    ck_assert_int_eq(bytes_append(sig, s, n), 0);
}

uint8_t *forge_bundle(const char *name, const uint8_t *msg, size_t n, const struct bytes *json,
                      const struct bytes *sig, size_t *len)
{
    struct tar_entry e[] = {
        {name, msg, n, 0, NULL, 0},
        {"manifest.json", json->p, json->len, 0, NULL, 0},
        {"manifest.sig", sig->p, sig->len, 0, NULL, 0},
    };

    return forge_tar(ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, 0, e, 3, len);
}

uint8_t *forge_seal(const struct forge *f, const uint8_t *archive, size_t n, size_t *len)
{
    uint8_t key[PAYLOAD_KEY_LEN];
    struct bytes out = {0};
    struct stream_enc s;

    ck_assert_rc(payload_key_derive(NULL, f->data_key, DATA_KEY_LEN, f->header.p, f->header.len,
                                    key),
                 ENVELOPE_OK);
    ck_assert_int_eq(bytes_append(&out, f->header.p, f->header.len), 0);
    ck_assert_rc(stream_enc_init(NULL, &s, key, bytes_write, &out), ENVELOPE_OK);
    ck_assert_rc(stream_enc_update(NULL, &s, archive, n), ENVELOPE_OK);
    ck_assert_rc(stream_enc_finish(NULL, &s), ENVELOPE_OK);
    stream_enc_free(&s);
    return bytes_steal(&out, len);
}

void forge_free(struct forge *f)
{
    bytes_free(&f->header);
    memset(f, 0, sizeof(*f));
}
