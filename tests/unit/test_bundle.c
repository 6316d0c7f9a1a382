/* bundle_write.c and bundle_read.c: the inner tar, written through a
 * memory sink and read back through a memory source (and by libarchive, a
 * reader of its own), and the reader's entry rules against archives
 * libarchive's writer makes in every shape the rules forbid
 * (docs/FORMAT.md, "Inner archive"). */
#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

#include "format/bundle.h"
#include "pipeline/compat.h"
#include "forge.h"
#include "testutil.h"

#define BLOCK 512

/* ---------------------------------------------------- memory sink, source */

static envelope_rc to_bytes(envelope_ctx *ctx, void *arg, const uint8_t *p, size_t n)
{
    (void)ctx;
    return bytes_append(arg, p, n) == 0 ? ENVELOPE_OK : ENVELOPE_E_NOMEM;
}

/* Hands the archive out in pieces of an awkward size, as STREAM chunks
 * would, so that entries straddle the pieces. */
struct pieces {
    const uint8_t *p;
    size_t left, size;
    long handed;               /* pieces asked for so far */
};

/* The piece (counting from 0) that fails as a chunk that does not
 * authenticate would; -1: none. */
static long fail_piece = -1;

static envelope_rc from_pieces(envelope_ctx *ctx, void *arg, const uint8_t **p, size_t *n)
{
    struct pieces *s = arg;

    (void)ctx;
    if (s->handed++ == fail_piece)
        return ENVELOPE_E_TAMPERED;
    *n = s->left < s->size ? s->left : s->size;
    *p = s->p;
    s->p += *n;
    s->left -= *n;
    return ENVELOPE_OK;
}

static const uint8_t manifest_bytes[] = "{\"format\":\"libenvelope/1\",\"stand-in\":1}";
static const uint8_t sig_bytes[] = "0123456789";

/* Reads an archive as the open pipeline does: message (max_size), then
 * manifest.json, then manifest.sig, then the end. Returns the first error. */
static envelope_ctx *ctx;

static void setup(void)
{
    ctx = new_ctx();
}

static void teardown(void)
{
    envelope_ctx_free(ctx);
}

/* How read_bundle cuts the archive. */
static size_t piece_size = 1000;

static envelope_rc read_bundle(const uint8_t *tar, size_t len, uint64_t max_size,
                               struct bytes *msg, char name[MESSAGE_NAME_MAX + 1])
{
    struct pieces src = {tar, len, piece_size};
    struct bundle_reader r;
    uint8_t buf[8192], small[MANIFEST_MAX];
    char other[MESSAGE_NAME_MAX + 1];
    uint64_t size;
    size_t n;
    envelope_rc rc;

    if ((rc = bundle_reader_open(ctx, &r, from_pieces, &src)) != ENVELOPE_OK)
        goto out;
    if ((rc = bundle_next(&r, NULL, max_size, name, &size)) != ENVELOPE_OK)
        goto out;
    do {
        if ((rc = bundle_read(&r, buf, sizeof(buf), &n)) != ENVELOPE_OK)
            goto out;
        ck_assert_int_eq(bytes_append(msg, buf, n), 0);
    } while (n > 0);
    if (msg->len != size) {
        rc = ENVELOPE_E_BAD_ARCHIVE; /* reported as such by the pipeline's checks */
        goto out;
    }
    if ((rc = bundle_next(&r, "manifest.json", MANIFEST_MAX, other, &size)) != ENVELOPE_OK ||
        (rc = bundle_read_all(&r, small, size)) != ENVELOPE_OK)
        goto out;
    if ((rc = bundle_next(&r, "manifest.sig", SIG_MAX, other, &size)) != ENVELOPE_OK ||
        (rc = bundle_read_all(&r, small, size)) != ENVELOPE_OK)
        goto out;
    rc = bundle_reader_finish(&r);
out:
    bundle_reader_free(&r);
    return rc;
}

static void assert_bundle(const uint8_t *tar, size_t len, uint64_t max_size, envelope_rc want,
                          const char *what)
{
    struct bytes msg = {0};
    char name[MESSAGE_NAME_MAX + 1];
    envelope_rc rc = read_bundle(tar, len, max_size, &msg, name);

    ck_assert_msg(rc == want, "%s: got %s (%s), want %s", what, envelope_rc_name(rc),
                  envelope_ctx_detail(ctx), envelope_rc_name(want));
    bytes_free(&msg);
}

/* Three entries in the given format, gzip'd if gzip is set; the
 * message's name, type and size are the caller's. */
static uint8_t *three_gz(int format, int gzip, struct tar_entry message, size_t *len)
{
    struct tar_entry e[] = {
        message,
        {"manifest.json", manifest_bytes, sizeof(manifest_bytes) - 1, 0, NULL, 0},
        {"manifest.sig", sig_bytes, sizeof(sig_bytes) - 1, 0, NULL, 0},
    };

    return forge_tar(format, gzip, e, 3, len);
}

static uint8_t *three(int format, struct tar_entry message, size_t *len)
{
    return three_gz(format, 0, message, len);
}

static const uint8_t hello[] = "hello, world\n";
#define HELLO {"hello.txt", hello, sizeof(hello) - 1, 0, NULL, 0}

static void assert_entries(const struct tar_entry *e, size_t n, envelope_rc want,
                           const char *what)
{
    size_t len;
    uint8_t *tar = forge_tar(ARCHIVE_FORMAT_TAR_USTAR, 0, e, n, &len);

    assert_bundle(tar, len, 0, want, what);
    free(tar);
}

/* ------------------------------------------------------------- round trip */

static uint8_t *write_bundle(const char *name, const uint8_t *msg, size_t n, size_t piece,
                             size_t *len)
{
    struct bundle_writer w;
    struct bytes out = {0};

    ck_assert_rc(bundle_writer_open(NULL, &w, TEST_CREATED, to_bytes, &out), ENVELOPE_OK);
    ck_assert_rc(bundle_write_header(&w, name, n), ENVELOPE_OK);
    for (size_t done = 0; done < n; done += piece)
        ck_assert_rc(bundle_write_data(&w, msg + done, n - done < piece ? n - done : piece),
                     ENVELOPE_OK);
    ck_assert_rc(bundle_write_file(&w, "manifest.json", manifest_bytes,
                                   sizeof(manifest_bytes) - 1),
                 ENVELOPE_OK);
    ck_assert_rc(bundle_write_file(&w, "manifest.sig", sig_bytes, sizeof(sig_bytes) - 1),
                 ENVELOPE_OK);
    ck_assert_rc(bundle_writer_close(&w), ENVELOPE_OK);
    bundle_writer_free(&w);
    return bytes_steal(&out, len);
}

static size_t padded(size_t n)
{
    return (n + BLOCK - 1) / BLOCK * BLOCK;
}

START_TEST(round_trip)
{
    static const size_t sizes[] = {0, 1, 511, 512, 513, 65536, 200000};
    static const char *names[] = {"m", "report.pdf", "na\xc3\xafve \xe2\x82\xac.txt"};

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        for (size_t j = 0; j < sizeof(names) / sizeof(names[0]); j++) {
            uint8_t *msg = pattern(sizes[i], (unsigned)i), *tar;
            struct bytes back = {0};
            char name[MESSAGE_NAME_MAX + 1];
            size_t len;

            tar = write_bundle(names[j], msg, sizes[i], 777, &len);
            ck_assert_rc(read_bundle(tar, len, 0, &back, name), ENVELOPE_OK);
            ck_assert_str_eq(name, names[j]);
            ck_assert_uint_eq(back.len, sizes[i]);
            if (sizes[i])
                ck_assert_mem_eq(back.p, msg, sizes[i]);
            /* ASCII names of up to 100 bytes need no pax header: three
             * headers, the padded data, and the 1024-byte end marker */
            if (j < 2)
                ck_assert_uint_eq(len, 3 * BLOCK + padded(sizes[i]) +
                                           padded(sizeof(manifest_bytes) - 1) +
                                           padded(sizeof(sig_bytes) - 1) + 2 * BLOCK);
            bytes_free(&back);
            free(tar);
            free(msg);
        }
    }
}
END_TEST

/* What the writer puts in the fields readers ignore, and which format. */
START_TEST(writer_fields)
{
    char long_name[200];
    size_t len;
    uint8_t *tar;
    struct archive *a;
    struct archive_entry *e;

    memset(long_name, 'L', 150);
    long_name[150] = '\0';
    for (int k = 0; k < 2; k++) {
        tar = write_bundle(k ? long_name : "short.txt", hello, sizeof(hello) - 1, 5, &len);
        a = archive_read_new();
        archive_read_support_format_tar(a);
        ck_assert_int_eq(archive_read_open_memory(a, tar, len), ARCHIVE_OK);
        for (int i = 0; i < 3; i++) {
            ck_assert_int_eq(archive_read_next_header(a, &e), ARCHIVE_OK);
            ck_assert_int_eq(archive_entry_filetype(e), AE_IFREG);
            ck_assert_int_eq(archive_entry_perm(e), 0600);
            ck_assert_int_eq(archive_entry_uid(e), 0);
            ck_assert_int_eq(archive_entry_gid(e), 0);
            ck_assert(archive_entry_uname(e) == NULL || *archive_entry_uname(e) == '\0');
            ck_assert(archive_entry_gname(e) == NULL || *archive_entry_gname(e) == '\0');
            ck_assert_int_eq(archive_entry_mtime(e), TEST_CREATED);
            if (i == 0)
                ck_assert_int_eq(archive_format(a), k ? ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE
                                                      : ARCHIVE_FORMAT_TAR_USTAR);
        }
        ck_assert_int_eq(archive_read_next_header(a, &e), ARCHIVE_EOF);
        archive_read_free(a);
        free(tar);
    }
}
END_TEST

/* ------------------------------------------------------------- the rules */

START_TEST(reject_entry_types)
{
    static const struct {
        unsigned type;
        const char *link;
        int hard;
    } bad[] = {
        {AE_IFLNK, "manifest.json", 0}, {AE_IFREG, "manifest.json", 1}, {AE_IFDIR, NULL, 0},
        {AE_IFIFO, NULL, 0},            {AE_IFCHR, NULL, 0},             {AE_IFBLK, NULL, 0},
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct tar_entry m = {"entry", NULL, 0, bad[i].type, bad[i].link, bad[i].hard};
        size_t len;
        uint8_t *tar = three(ARCHIVE_FORMAT_TAR_USTAR, m, &len);

        assert_bundle(tar, len, 0, ENVELOPE_E_BAD_ARCHIVE, "entry type");
        free(tar);
    }
    /* a link or directory in the place of manifest.json, too */
    {
        struct tar_entry e[] = {
            HELLO,
            {"manifest.json", NULL, 0, AE_IFLNK, "hello.txt", 0},
            {"manifest.sig", sig_bytes, 10, 0, NULL, 0},
        };
        assert_entries(e, 3, ENVELOPE_E_BAD_ARCHIVE, "manifest.json a symlink");
        e[1] = (struct tar_entry){"manifest.json", NULL, 0, AE_IFREG, "hello.txt", 1};
        assert_entries(e, 3, ENVELOPE_E_BAD_ARCHIVE, "manifest.json a hard link");
        e[2] = (struct tar_entry){"manifest.sig", NULL, 0, AE_IFDIR, NULL, 0};
        e[1] = (struct tar_entry){"manifest.json", manifest_bytes, 5, 0, NULL, 0};
        assert_entries(e, 3, ENVELOPE_E_BAD_ARCHIVE, "manifest.sig a directory");
    }
}
END_TEST

START_TEST(reject_names)
{
    static const char *bad[] = {"../x", "a/b", "/abs", ".hidden", "manifest.json",
                                "manifest.sig", "manifest.x", "a\x01" "b"};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct tar_entry m = {bad[i], hello, sizeof(hello) - 1, 0, NULL, 0};
        size_t len;
        uint8_t *tar = three(ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, m, &len);

        assert_bundle(tar, len, 0, ENVELOPE_E_BAD_ARCHIVE, bad[i]);
        free(tar);
    }
}
END_TEST

/* Names of 255 bytes pass (through a pax header); 256 do not. */
START_TEST(name_lengths)
{
    char name[257];
    struct tar_entry m = {name, hello, sizeof(hello) - 1, 0, NULL, 0};
    size_t len;
    uint8_t *tar;

    memset(name, 'n', 256);
    name[255] = '\0';
    tar = three(ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, m, &len);
    assert_bundle(tar, len, 0, ENVELOPE_OK, "255 bytes");
    free(tar);
    name[255] = 'n';
    name[256] = '\0';
    tar = three(ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, m, &len);
    assert_bundle(tar, len, 0, ENVELOPE_E_BAD_ARCHIVE, "256 bytes");
    free(tar);
}
END_TEST

/* A name that is not UTF-8, written as raw bytes in a ustar header. */
START_TEST(reject_non_utf8_name)
{
    struct tar_entry m = {"bad\xff\xfe.txt", hello, sizeof(hello) - 1, 0, NULL, 0};
    size_t len;
    uint8_t *tar = three(ARCHIVE_FORMAT_TAR_USTAR, m, &len);

    assert_bundle(tar, len, 0, ENVELOPE_E_BAD_ARCHIVE, "raw non-UTF-8 name");
    free(tar);
}
END_TEST

START_TEST(reject_order_and_count)
{
    struct tar_entry json = {"manifest.json", manifest_bytes, 10, 0, NULL, 0};
    struct tar_entry sig = {"manifest.sig", sig_bytes, 10, 0, NULL, 0};
    struct tar_entry msg = HELLO, extra = {"extra", hello, 3, 0, NULL, 0};

    {
        struct tar_entry e[] = {msg, msg, json, sig};
        assert_entries(e, 4, ENVELOPE_E_BAD_ARCHIVE, "message twice");
    }
    {
        struct tar_entry e[] = {msg, json, json, sig};
        assert_entries(e, 4, ENVELOPE_E_BAD_ARCHIVE, "manifest.json twice");
    }
    {
        struct tar_entry e[] = {msg, json, sig, sig};
        assert_entries(e, 4, ENVELOPE_E_BAD_ARCHIVE, "manifest.sig twice");
    }
    {
        struct tar_entry e[] = {msg, json, sig, extra};
        assert_entries(e, 4, ENVELOPE_E_BAD_ARCHIVE, "a fourth entry");
    }
    {
        struct tar_entry e[] = {msg, sig, json};
        assert_entries(e, 3, ENVELOPE_E_BAD_ARCHIVE, "manifests swapped");
    }
    {
        struct tar_entry e[] = {json, msg, sig};
        assert_entries(e, 3, ENVELOPE_E_BAD_ARCHIVE, "manifest first");
    }
    {
        struct tar_entry e[] = {msg, json};
        assert_entries(e, 2, ENVELOPE_E_BAD_ARCHIVE, "no manifest.sig");
    }
    {
        struct tar_entry e[] = {msg};
        assert_entries(e, 1, ENVELOPE_E_BAD_ARCHIVE, "message alone");
    }
    assert_entries(NULL, 0, ENVELOPE_E_BAD_ARCHIVE, "no entries");
    {
        struct tar_entry e[] = {msg, json, sig};
        assert_entries(e, 3, ENVELOPE_OK, "the right three");
    }
}
END_TEST

START_TEST(manifest_size_limits)
{
    uint8_t *big = pattern(MANIFEST_MAX + 1, 4);
    struct tar_entry msg = HELLO;
    struct tar_entry json = {"manifest.json", big, MANIFEST_MAX, 0, NULL, 0};
    struct tar_entry sig = {"manifest.sig", big, SIG_MAX, 0, NULL, 0};

    {
        struct tar_entry e[] = {msg, json, sig};
        assert_entries(e, 3, ENVELOPE_OK, "largest manifest.json and .sig");
        e[1].size = MANIFEST_MAX + 1;
        assert_entries(e, 3, ENVELOPE_E_BAD_ARCHIVE, "manifest.json of 4097 bytes");
        e[1].size = MANIFEST_MAX;
        e[2].size = SIG_MAX + 1;
        assert_entries(e, 3, ENVELOPE_E_BAD_ARCHIVE, "manifest.sig of 140 bytes");
    }
    free(big);
}
END_TEST

START_TEST(message_over_max_size)
{
    uint8_t *msg = pattern(1000, 5);
    struct tar_entry m = {"big", msg, 1000, 0, NULL, 0};
    size_t len;
    uint8_t *tar = three(ARCHIVE_FORMAT_TAR_USTAR, m, &len);

    assert_bundle(tar, len, 999, ENVELOPE_E_TOO_LARGE, "one byte over");
    assert_bundle(tar, len, 1, ENVELOPE_E_TOO_LARGE, "far over");
    assert_bundle(tar, len, 1000, ENVELOPE_OK, "at the limit");
    assert_bundle(tar, len, 0, ENVELOPE_OK, "no limit");
    free(tar);
    free(msg);
}
END_TEST

START_TEST(reject_other_formats)
{
    static const struct {
        int format, gzip;
        const char *what;
    } bad[] = {
        {ARCHIVE_FORMAT_TAR_USTAR, 1, "gzip'd ustar"},
        {ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, 1, "gzip'd pax"},
        {ARCHIVE_FORMAT_ZIP, 0, "zip"},
        {ARCHIVE_FORMAT_CPIO_SVR4_NOCRC, 0, "cpio newc"},
        {ARCHIVE_FORMAT_CPIO_POSIX, 0, "cpio odc"},
        {ARCHIVE_FORMAT_TAR_GNUTAR, 0, "GNU tar"},
        {FORGE_V7TAR, 0, "v7 tar"},
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        size_t len;
        uint8_t *tar = three_gz(bad[i].format, bad[i].gzip, (struct tar_entry)HELLO, &len);

        if (bad[i].gzip)
            ck_assert_mem_eq(tar, "\x1f\x8b", 2);
        assert_bundle(tar, len, 0, ENVELOPE_E_BAD_ARCHIVE, bad[i].what);
        free(tar);
    }
}
END_TEST

/* GNU tar's way with a name past 100 bytes: a ././@LongLink entry. */
START_TEST(reject_gnu_longname)
{
    char name[151];
    struct tar_entry m = {name, hello, sizeof(hello) - 1, 0, NULL, 0};
    size_t len;
    uint8_t *tar;

    memset(name, 'g', 150);
    name[150] = '\0';
    tar = three(ARCHIVE_FORMAT_TAR_GNUTAR, m, &len);
    ck_assert_ptr_nonnull(memmem(tar, BLOCK, "././@LongLink", 13));
    assert_bundle(tar, len, 0, ENVELOPE_E_BAD_ARCHIVE, "GNU longname");
    free(tar);
    /* the same name through a pax header is fine */
    tar = three(ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, m, &len);
    assert_bundle(tar, len, 0, ENVELOPE_OK, "pax long name");
    free(tar);
}
END_TEST

/* The end: at least the 1024-byte marker, then zeros only. */
START_TEST(end_of_archive)
{
    size_t len, data_end;
    uint8_t *tar = three(ARCHIVE_FORMAT_TAR_USTAR, (struct tar_entry)HELLO, &len), *longer;

    data_end = len - 2 * BLOCK;
    assert_bundle(tar, len, 0, ENVELOPE_OK, "as written");
    assert_bundle(tar, data_end, 0, ENVELOPE_E_BAD_ARCHIVE, "no end marker");
    assert_bundle(tar, data_end + BLOCK, 0, ENVELOPE_E_BAD_ARCHIVE, "half an end marker");
    assert_bundle(tar, len - 1, 0, ENVELOPE_E_BAD_ARCHIVE, "end marker one byte short");
    /* zero padding after the marker is fine, up to the end of the payload */
    longer = calloc(1, len + 3000);
    memcpy(longer, tar, len);
    assert_bundle(longer, len + 3000, 0, ENVELOPE_OK, "zero padding");
    longer[len + 2999] = 1;
    assert_bundle(longer, len + 3000, 0, ENVELOPE_E_BAD_ARCHIVE, "non-zero after the padding");
    longer[len + 2999] = 0;
    longer[len] = 0x80;
    assert_bundle(longer, len + 3000, 0, ENVELOPE_E_BAD_ARCHIVE, "non-zero after the marker");
    longer[len] = 0;
    longer[data_end + BLOCK + 7] = 'x';
    assert_bundle(longer, len + 3000, 0, ENVELOPE_E_BAD_ARCHIVE, "non-zero in the marker");
    free(longer);
    free(tar);
}
END_TEST

/* An archive cut inside an entry: its size says more than there is. */
START_TEST(short_entries)
{
    uint8_t *msg = pattern(5000, 6);
    struct tar_entry m = {"m", msg, 5000, 0, NULL, 0};
    size_t len;
    uint8_t *tar = three(ARCHIVE_FORMAT_TAR_USTAR, m, &len);

    assert_bundle(tar, BLOCK + 100, 0, ENVELOPE_E_BAD_ARCHIVE, "cut in the message");
    assert_bundle(tar, BLOCK + 4096, 0, ENVELOPE_E_BAD_ARCHIVE, "cut at a block boundary");
    assert_bundle(tar, BLOCK + padded(5000) + 100, 0, ENVELOPE_E_BAD_ARCHIVE,
                  "cut in a header");
    assert_bundle(tar, BLOCK + padded(5000) + BLOCK + 5, 0, ENVELOPE_E_BAD_ARCHIVE,
                  "cut in manifest.json");
    assert_bundle(tar, 0, 0, ENVELOPE_E_BAD_ARCHIVE, "empty");
    free(tar);
    free(msg);
}
END_TEST

START_TEST(reject_garbage)
{
    uint8_t junk[4096];

    memset(junk, 'A', sizeof(junk));
    assert_bundle(junk, sizeof(junk), 0, ENVELOPE_E_BAD_ARCHIVE, "letters");
    memset(junk, 0, sizeof(junk));
    assert_bundle(junk, sizeof(junk), 0, ENVELOPE_E_BAD_ARCHIVE, "zeros only");
}
END_TEST

/* A pax header with GNU.sparse.size makes libarchive deliver more than the
 * ustar size the limits were checked against (found by fuzz_bundle; the
 * input is its regression file). The pax keyword is refused with the
 * header now, and no byte of the entry comes out. */
START_TEST(reject_data_past_stated_size)
{
    FILE *f = fopen("fuzz/regressions/bundle/pax-gnu-sparse-size.tar", "rb");
    uint8_t tar[16384];
    size_t len;
    struct bytes msg = {0};
    char name[MESSAGE_NAME_MAX + 1];
    envelope_rc rc;

    ck_assert_ptr_nonnull(f);
    len = fread(tar, 1, sizeof(tar), f);
    fclose(f);
    ck_assert_uint_gt(len, 1024);
    rc = read_bundle(tar, len, 0, &msg, name);
    ck_assert_rc(rc, ENVELOPE_E_BAD_ARCHIVE);
    ck_assert_str_eq(envelope_ctx_detail(ctx),
                     "entry 1: a pax record other than one path and one size");
    ck_assert_uint_eq(msg.len, 0);
    bytes_free(&msg);
}
END_TEST

/* A tar header whose checksum is wrong. */
START_TEST(reject_bad_checksum)
{
    size_t len;
    uint8_t *tar = three(ARCHIVE_FORMAT_TAR_USTAR, (struct tar_entry)HELLO, &len);

    tar[0] ^= 0x01; /* the name changes; the stored checksum does not */
    assert_bundle(tar, len, 0, ENVELOPE_E_BAD_ARCHIVE, "first header");
    tar[0] ^= 0x01;
    tar[2 * BLOCK + 3] ^= 0x01;
    assert_bundle(tar, len, 0, ENVELOPE_E_BAD_ARCHIVE, "manifest.json header");
    free(tar);
}
END_TEST

/* ------------------------------------------- headers, byte by byte */

/* A ustar header's checksum, made right after an edit. */
static void resum(uint8_t *h)
{
    unsigned sum = 0;

    memset(h + 148, ' ', 8);
    for (size_t i = 0; i < BLOCK; i++)
        sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
}

static size_t ustar_block(struct bytes *t, const char *name, size_t size, char type)
{
    uint8_t h[BLOCK] = {0};
    size_t at = t->len;

    memcpy(h, name, strnlen(name, 100));
    snprintf((char *)h + 100, 8, "%07o", 0600);
    snprintf((char *)h + 108, 8, "%07o", 0);
    snprintf((char *)h + 116, 8, "%07o", 0);
    snprintf((char *)h + 124, 12, "%011zo", size);
    snprintf((char *)h + 136, 12, "%011o", 0);
    h[156] = (uint8_t)type;
    memcpy(h + 257, "ustar\0" "00", 8);
    resum(h);
    ck_assert_int_eq(bytes_append(t, h, BLOCK), 0);
    return at;
}

static void data_blocks(struct bytes *t, const void *p, size_t n)
{
    static const uint8_t zeros[BLOCK];

    ck_assert_int_eq(bytes_append(t, p, n), 0);
    ck_assert_int_eq(bytes_append(t, zeros, padded(n) - n), 0);
}

/* One pax record "LEN KEY=VALUE\n", KEY and VALUE taken by their lengths. */
static void pax_record(struct bytes *body, const char *key, size_t key_len, const char *value,
                       size_t value_len)
{
    size_t rest = 1 + key_len + 1 + value_len + 1, len = rest + 1;
    char digits[24];

    while ((size_t)snprintf(digits, sizeof(digits), "%zu", len) + rest != len)
        len++;
    ck_assert_int_eq(bytes_append(body, digits, strlen(digits)), 0);
    ck_assert_int_eq(bytes_append(body, " ", 1), 0);
    ck_assert_int_eq(bytes_append(body, key, key_len), 0);
    ck_assert_int_eq(bytes_append(body, "=", 1), 0);
    ck_assert_int_eq(bytes_append(body, value, value_len), 0);
    ck_assert_int_eq(bytes_append(body, "\n", 1), 0);
}

/* An entry as writers make it (FORMAT.md, "Inner archive"), after a pax header holding the
 * records in pax when pax is not NULL. Returns where its ustar header is,
 * for the caller to edit (and resum). */
static size_t add_entry(struct bytes *t, const char *name, const void *data, size_t n,
                        const struct bytes *pax)
{
    size_t at;

    if (pax != NULL) {
        ustar_block(t, "PaxHeaders/x", pax->len, 'x');
        data_blocks(t, pax->p, pax->len);
    }
    at = ustar_block(t, name, n, '0');
    data_blocks(t, data, n);
    return at;
}

/* The three entries (the message's pax records in pax[0], and so on) and
 * the end-of-archive marker. *at: where each ustar header is. */
static uint8_t *raw_three(const struct bytes pax[3], size_t at[3], size_t *len)
{
    struct bytes t = {0};
    static const uint8_t zeros[2 * BLOCK];

    at[0] = add_entry(&t, "hello.txt", hello, sizeof(hello) - 1, pax[0].p ? &pax[0] : NULL);
    at[1] = add_entry(&t, "manifest.json", manifest_bytes, sizeof(manifest_bytes) - 1,
                      pax[1].p ? &pax[1] : NULL);
    at[2] = add_entry(&t, "manifest.sig", sig_bytes, sizeof(sig_bytes) - 1,
                      pax[2].p ? &pax[2] : NULL);
    ck_assert_int_eq(bytes_append(&t, zeros, sizeof(zeros)), 0);
    return bytes_steal(&t, len);
}

static void free_pax(struct bytes pax[3])
{
    for (int i = 0; i < 3; i++)
        bytes_free(&pax[i]);
}

/* Reads tar cut in pieces of several sizes (headers straddle them): each
 * time the message and its name come out whole. */
static void assert_opens(const uint8_t *tar, size_t len, const char *what)
{
    static const size_t pieces[] = {1, 7, 509, 512, 1000, 65536};

    for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
        struct bytes msg = {0};
        char name[MESSAGE_NAME_MAX + 1];
        envelope_rc rc;

        piece_size = pieces[i];
        rc = read_bundle(tar, len, 0, &msg, name);
        ck_assert_msg(rc == ENVELOPE_OK, "%s, %zu-byte pieces: %s (%s)", what, pieces[i],
                      envelope_rc_name(rc), envelope_ctx_detail(ctx));
        ck_assert_str_eq(name, "hello.txt");
        ck_assert_uint_eq(msg.len, sizeof(hello) - 1);
        ck_assert_mem_eq(msg.p, hello, msg.len);
        bytes_free(&msg);
    }
    piece_size = 1000;
}

/* Refused with exactly this detail, and no byte of the message came out
 * (the faults are all in the message's headers). */
static void assert_refused(const uint8_t *tar, size_t len, const char *detail, const char *what)
{
    struct bytes msg = {0};
    char name[MESSAGE_NAME_MAX + 1];
    envelope_rc rc = read_bundle(tar, len, 0, &msg, name);

    ck_assert_msg(rc == ENVELOPE_E_BAD_ARCHIVE && strcmp(envelope_ctx_detail(ctx), detail) == 0,
                  "%s: got %s (%s), want BAD_ARCHIVE (%s)", what, envelope_rc_name(rc),
                  envelope_ctx_detail(ctx), detail);
    ck_assert_msg(msg.len == 0, "%s: %zu bytes of the message came out", what, msg.len);
    bytes_free(&msg);
}

#define REC(body, key, value) pax_record(body, key, sizeof(key) - 1, value, sizeof(value) - 1)

/* A pax header may stand before any entry (FORMAT.md, "Inner archive"); the archive ends
 * after manifest.sig's data, not after its pax header's. */
START_TEST(pax_before_each_entry)
{
    for (int which = 0; which < 4; which++) {
        struct bytes pax[3] = {{0}};
        size_t at[3], len;
        uint8_t *tar;
        char what[64];

        if (which == 0 || which == 3)
            REC(&pax[0], "path", "hello.txt");
        if (which == 1 || which == 3)
            REC(&pax[1], "path", "manifest.json");
        if (which == 2 || which == 3) {
            REC(&pax[2], "path", "manifest.sig");
            REC(&pax[2], "size", "10");
        }
        tar = raw_three(pax, at, &len);
        snprintf(what, sizeof(what), "pax header before %s",
                 which == 3 ? "each entry" : which == 2 ? "manifest.sig" : which == 1
                                                                       ? "manifest.json"
                                                                       : "the message");
        assert_opens(tar, len, what);
        free(tar);
        free_pax(pax);
    }
}
END_TEST

/* Numbers with leading spaces or zeros, ending in a space or NULs. */
START_TEST(octal_number_forms)
{
    static const char *forms[] = {"   15 ", "15", "00000000015 ", " 15\0 \0", "15          "};
    struct bytes pax[3] = {{0}};

    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        size_t at[3], len;
        uint8_t *tar = raw_three(pax, at, &len);

        memset(tar + at[0] + 124, 0, 12);
        memcpy(tar + at[0] + 124, forms[i], i == 3 ? 6 : strlen(forms[i]));
        resum(tar + at[0]);
        assert_opens(tar, len, forms[i]);
        free(tar);
    }
}
END_TEST

/* pax values and keywords are their bytes, NUL included: libarchive stops
 * at a NUL, the envelope rules do not. */
START_TEST(pax_nul_refused)
{
    static const struct {
        const char *key, *value;
        size_t key_len, value_len;
        const char *detail;
    } cases[] = {
        {"path", "hello.txt\0junk", 4, 14, "entry 1: pax path holds a NUL"},
        {"path", "hello.txt\0", 4, 10, "entry 1: pax path holds a NUL"},
        {"size", "13\0", 4, 3, "entry 1: size is not a number"},
        {"size", "13\0" "99", 4, 5, "entry 1: size is not a number"},
        {"path\0x", "hello.txt", 6, 9, NULL},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct bytes pax[3] = {{0}};
        size_t at[3], len;
        uint8_t *tar;
        char what[32];

        pax_record(&pax[0], cases[i].key, cases[i].key_len, cases[i].value,
                   cases[i].value_len);
        tar = raw_three(pax, at, &len);
        snprintf(what, sizeof(what), "case %zu", i);
        if (cases[i].detail) {
            assert_refused(tar, len, cases[i].detail, what);
        } else { /* libarchive refuses the keyword itself */
            struct bytes msg = {0};
            char name[MESSAGE_NAME_MAX + 1];

            ck_assert_rc(read_bundle(tar, len, 0, &msg, name), ENVELOPE_E_BAD_ARCHIVE);
            ck_assert_ptr_nonnull(strstr(envelope_ctx_detail(ctx), "pax"));
            ck_assert_uint_eq(msg.len, 0);
            bytes_free(&msg);
        }
        free(tar);
        free_pax(pax);
    }
}
END_TEST

/* The same for manifest.sig: its pax path must be "manifest.sig" whole. */
START_TEST(pax_nul_in_sig_path)
{
    struct bytes pax[3] = {{0}}, msg = {0};
    size_t at[3], len;
    char name[MESSAGE_NAME_MAX + 1];
    uint8_t *tar;

    pax_record(&pax[2], "path", 4, "manifest.sig\0x", 14);
    tar = raw_three(pax, at, &len);
    ck_assert_rc(read_bundle(tar, len, 0, &msg, name), ENVELOPE_E_BAD_ARCHIVE);
    ck_assert_str_eq(envelope_ctx_detail(ctx), "entry 3: pax path holds a NUL");
    bytes_free(&msg);
    free(tar);
    free_pax(pax);
}
END_TEST

/* What FORMAT.md leaves to the reader, refused as tests/envelope_ref.py
 * refuses it: typeflags other than '0' (NUL and '7' included), a pax
 * global header, a version other than 00, a link name on a regular file, a
 * checksum that does not match. */
START_TEST(left_to_reader_refused)
{
    static const struct {
        size_t off;
        const char *bytes;
        size_t n;
        const char *detail;
    } cases[] = {
        {156, "\0", 1, "entry 1: not a regular file (type byte ?)"},
        {156, "7", 1, "entry 1: not a regular file (type 7)"},
        {156, "g", 1, "entry 1: not a regular file (type g)"},
        {156, "5", 1, "entry 1: not a regular file (type 5)"},
        {263, "  ", 2, "entry 1: a ustar version other than 00"},
        {263, "01", 2, "entry 1: a ustar version other than 00"},
        {157, "manifest.json", 13, "entry 1: a regular file with a link name"},
    };
    struct bytes pax[3] = {{0}};

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t at[3], len;
        uint8_t *tar = raw_three(pax, at, &len);
        char what[32];

        memcpy(tar + at[0] + cases[i].off, cases[i].bytes, cases[i].n);
        resum(tar + at[0]);
        snprintf(what, sizeof(what), "case %zu", i);
        assert_refused(tar, len, cases[i].detail, what);
        free(tar);
    }
    {
        size_t at[3], len;
        uint8_t *tar = raw_three(pax, at, &len);

        tar[at[0] + 10] = 'x'; /* the checksum is not made again */
        assert_refused(tar, len, "entry 1: header checksum does not match", "checksum");
        free(tar);
    }
}
END_TEST

/* The marker's second block is checked as it is reached, like the first. */
START_TEST(marker_blocks)
{
    struct bytes pax[3] = {{0}}, msg = {0};
    size_t at[3], len;
    char name[MESSAGE_NAME_MAX + 1];
    uint8_t *tar = raw_three(pax, at, &len);

    tar[len - BLOCK] = 1;
    ck_assert_rc(read_bundle(tar, len, 0, &msg, name), ENVELOPE_E_BAD_ARCHIVE);
    ck_assert_str_eq(envelope_ctx_detail(ctx), "no end-of-archive marker");
    tar[len - BLOCK] = 0;
    tar[len - 2 * BLOCK + 511] = 1;
    bytes_free(&msg);
    ck_assert_rc(read_bundle(tar, len, 0, &msg, name), ENVELOPE_E_BAD_ARCHIVE);
    ck_assert_str_eq(envelope_ctx_detail(ctx), "more than three entries");
    bytes_free(&msg);
    free(tar);
}
END_TEST

/* The headers the writer makes for a size ustar cannot hold, and for a
 * name over 100 bytes that is not ASCII either, read back by the reader's
 * own header parser. */
START_TEST(writer_pax_headers)
{
    static const uint64_t sizes[] = {((uint64_t)1 << 33) - 1, (uint64_t)1 << 33,
                                     UINT64_C(123456789012345)};
    char name[MESSAGE_NAME_MAX + 1];

    memset(name, 'a', 120);
    memcpy(name + 110, "\xc3\xaf", 2);
    name[120] = '\0';
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        for (int k = 0; k < 2; k++) {
            const char *n = k ? name : "short.txt";
            struct bundle_writer w;
            struct bytes out = {0};
            struct tar_fields f;
            int pax = k || sizes[i] >= ((uint64_t)1 << 33);

            ck_assert_rc(bundle_writer_open(ctx, &w, TEST_CREATED, to_bytes, &out),
                         ENVELOPE_OK);
            ck_assert_rc(bundle_write_header(&w, n, sizes[i]), ENVELOPE_OK);
            ck_assert_uint_eq(out.len, pax ? 3 * BLOCK : BLOCK);
            ck_assert_msg(tar_headers_parse(ctx, 1, 1, out.p, out.len, &f) == ENVELOPE_OK,
                          "size %llu, name %d: %s", (unsigned long long)sizes[i], k,
                          envelope_ctx_detail(ctx));
            ck_assert_uint_eq(f.size, sizes[i]);
            ck_assert_uint_eq(f.name_len, strlen(n));
            ck_assert_mem_eq(f.name, n, f.name_len);
            bundle_writer_free(&w);
            bytes_free(&out);
        }
    }
}
END_TEST

/* The writer refuses to write what it did not declare. */
START_TEST(writer_refuses_misuse)
{
    struct bundle_writer w;
    struct bytes out = {0};

    ck_assert_rc(bundle_writer_open(ctx, &w, TEST_CREATED, to_bytes, &out), ENVELOPE_OK);
    ck_assert_rc(bundle_write_header(&w, "m", 3), ENVELOPE_OK);
    ck_assert_rc(bundle_write_data(&w, hello, 4), ENVELOPE_E_INTERNAL);
    ck_assert_str_eq(envelope_ctx_detail(ctx), "archive entry longer than its header says");
    ck_assert_rc(bundle_write_data(&w, hello, 2), ENVELOPE_OK);
    ck_assert_rc(bundle_write_header(&w, "manifest.json", 3), ENVELOPE_E_INTERNAL);
    ck_assert_str_eq(envelope_ctx_detail(ctx), "archive entry 1 bytes short");
    ck_assert_rc(bundle_writer_close(&w), ENVELOPE_E_INTERNAL);
    ck_assert_rc(bundle_write_header(&w, "", 3), ENVELOPE_E_INTERNAL);
    ck_assert_uint_eq(out.len, BLOCK + 2);
    bundle_writer_free(&w);
    bytes_free(&out);
}
END_TEST

/* pax holds path and size, once each, in well-formed records. */
START_TEST(pax_records_refused)
{
    static const char *other = "entry 1: a pax record other than one path and one size";
    struct bytes pax[3] = {{0}};
    size_t at[3], len;
    uint8_t *tar;

    REC(&pax[0], "mtime", "1704067200");
    tar = raw_three(pax, at, &len);
    assert_refused(tar, len, other, "mtime record");
    free(tar);
    free_pax(pax);

    REC(&pax[0], "path", "hello.txt");
    REC(&pax[0], "path", "hello.txt");
    tar = raw_three(pax, at, &len);
    assert_refused(tar, len, other, "path twice");
    free(tar);
    free_pax(pax);

    REC(&pax[0], "size", "013");
    tar = raw_three(pax, at, &len);
    assert_refused(tar, len, "entry 1: size is not a number", "size with a leading zero");
    free(tar);
    free_pax(pax);
}
END_TEST

/* A ustar size is octal digits between spaces and NULs, nothing else
 * (libarchive refuses such a first header as no tar at all; later ones it
 * reads up to the NUL). */
START_TEST(ustar_size_junk_refused)
{
    struct bytes pax[3] = {{0}}, msg = {0};
    size_t at[3], len;
    char name[MESSAGE_NAME_MAX + 1];
    uint8_t *tar = raw_three(pax, at, &len);

    memcpy(tar + at[0] + 124, "15\0junk\0\0\0\0", 12);
    resum(tar + at[0]);
    ck_assert_rc(read_bundle(tar, len, 0, &msg, name), ENVELOPE_E_BAD_ARCHIVE);
    ck_assert_uint_eq(msg.len, 0);
    free(tar);
    tar = raw_three(pax, at, &len);
    memset(tar + at[1] + 124, 0, 12);
    snprintf((char *)tar + at[1] + 124, 12, "%zo", sizeof(manifest_bytes) - 1);
    memcpy(tar + at[1] + 124 + 5, "junk", 4);
    resum(tar + at[1]);
    ck_assert_rc(read_bundle(tar, len, 0, &msg, name), ENVELOPE_E_BAD_ARCHIVE);
    ck_assert_str_eq(envelope_ctx_detail(ctx), "entry 2: size is not a number");
    bytes_free(&msg);
    free(tar);
}
END_TEST

/* A pax header is POSIX too: GNU tar's magic on it is refused. */
START_TEST(pax_header_gnu_magic_refused)
{
    struct bytes pax[3] = {{0}};
    size_t at[3], len;
    uint8_t *tar;

    REC(&pax[0], "path", "hello.txt");
    tar = raw_three(pax, at, &len);
    memcpy(tar + 257, "ustar  \0", 8);
    resum(tar);
    assert_refused(tar, len, "entry 1: a header without the ustar magic", "GNU magic");
    free(tar);
    free_pax(pax);
}
END_TEST

/* A checksum is a ustar number too: an octal digit after its NUL is not
 * (libarchive reads the digits before the NUL and takes it). */
START_TEST(checksum_digit_after_nul_refused)
{
    for (int block = 0; block < 2; block++) {
        struct bytes pax[3] = {{0}};
        size_t at[3], len;
        uint8_t *tar;

        REC(&pax[0], "path", "hello.txt");
        tar = raw_three(pax, at, &len);
        /* "%06o", NUL, space; the sum counts the field as spaces */
        tar[(block ? at[0] : 0) + 148 + 7] = '0';
        assert_refused(tar, len, "entry 1: header checksum is not a number",
                       block ? "the ustar header" : "the pax header");
        free(tar);
        free_pax(pax);
    }
}
END_TEST

/* A ustar prefix makes a name with a '/', pax path or not. */
START_TEST(prefix_refused_with_pax_path)
{
    struct bytes pax[3] = {{0}};
    size_t at[3], len;
    uint8_t *tar;

    REC(&pax[0], "path", "hello.txt");
    tar = raw_three(pax, at, &len);
    memcpy(tar + at[0] + 345, "junk", 4);
    resum(tar + at[0]);
    assert_refused(tar, len, "entry 1: ustar prefix is not empty", "prefix and pax path");
    free(tar);
    free_pax(pax);
}
END_TEST

/* More header bytes than a pax header with a path and a size can take. */
START_TEST(headers_too_long_refused)
{
    struct bytes pax[3] = {{0}};
    size_t at[3], len;
    char size[600];
    uint8_t *tar;

    memset(size, '0', sizeof(size));
    memcpy(size + sizeof(size) - 2, "13", 2);
    pax_record(&pax[0], "size", 4, size, sizeof(size));
    tar = raw_three(pax, at, &len);
    assert_refused(tar, len, "entry 1: 2048 bytes of headers; at most 1536",
                   "size 13 in 600 digits");
    free(tar);
    free_pax(pax);
}
END_TEST

/* A fault in a pax header or its records is reported once they are read,
 * before the next piece is asked for: a chunk after them that fails comes
 * second (docs/FORMAT.md, "Opening, in order"). In 512-byte pieces, the pax
 * header is piece 0, its records piece 1, the ustar header piece 2. */
START_TEST(pax_faults_before_next_piece)
{
    static const struct {
        const char *key, *value;
        long fail_at;
        const char *detail;
    } cases[] = {
        {"path", "hello.txt", 1, "entry 1: header checksum does not match"},
        {"mtime", "1704067200", 2, "entry 1: a pax record other than one path and one size"},
        {"size", "013", 2, "entry 1: size is not a number"},
        {"size", "", 2, "entry 1: size is not a number"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct bytes pax[3] = {{0}};
        size_t at[3], len;
        uint8_t *tar;

        pax_record(&pax[0], cases[i].key, strlen(cases[i].key), cases[i].value,
                   strlen(cases[i].value));
        tar = raw_three(pax, at, &len);
        if (i == 0)
            tar[0] ^= 1; /* the pax header's name: its checksum no longer matches */
        piece_size = BLOCK;
        fail_piece = cases[i].fail_at;
        assert_refused(tar, len, cases[i].detail, cases[i].detail);
        piece_size = 1000;
        fail_piece = -1;
        free(tar);
        free_pax(pax);
    }
}
END_TEST

/* A fourth entry's header is reported once read, before a chunk after it
 * fails to open. */
START_TEST(fourth_entry_before_next_piece)
{
    struct bytes pax[3] = {{0}};
    size_t at[3], len;
    uint8_t *tar = raw_three(pax, at, &len);
    struct bytes t = {0};

    /* the three entries, a fourth header where the marker was, the marker */
    ck_assert_int_eq(bytes_append(&t, tar, len - 2 * BLOCK), 0);
    ustar_block(&t, "four", 0, '0');
    ck_assert_int_eq(bytes_append(&t, tar + len - 2 * BLOCK, 2 * BLOCK), 0);
    piece_size = BLOCK;
    fail_piece = (long)((len - 2 * BLOCK) / BLOCK) + 1;
    assert_bundle(t.p, t.len, 0, ENVELOPE_E_BAD_ARCHIVE, "fourth header, then a failing piece");
    ck_assert_str_eq(envelope_ctx_detail(ctx), "more than three entries");
    /* the marker alone, its second block failing: the failure */
    fail_piece = (long)((len - 2 * BLOCK) / BLOCK) + 1;
    assert_bundle(tar, len, 0, ENVELOPE_E_TAMPERED, "marker, then a failing piece");
    piece_size = 1000;
    fail_piece = -1;
    bytes_free(&t);
    free(tar);
}
END_TEST

/* A pax size is decimal digits of any length: one over 2^64 - 1 is too
 * large for a limit, as the reference reader has it, not "not a number". */
START_TEST(pax_size_over_64_bits)
{
    static const char *sizes[] = {"18446744073709551615", "18446744073709551616",
                                  "99999999999999999999999999999999"};

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        struct bytes pax[3] = {{0}}, msg = {0};
        size_t at[3], len;
        char name[MESSAGE_NAME_MAX + 1];
        envelope_rc rc;
        uint8_t *tar;

        REC(&pax[0], "path", "hello.txt");
        pax_record(&pax[0], "size", 4, sizes[i], strlen(sizes[i]));
        tar = raw_three(pax, at, &len);
        rc = read_bundle(tar, len, 1000, &msg, name);
        ck_assert_msg(rc == ENVELOPE_E_TOO_LARGE &&
                          strcmp(envelope_ctx_detail(ctx), "message of 18446744073709551615 "
                                                           "bytes; the limit is 1000") == 0,
                      "size %s: got %s (%s)", sizes[i], envelope_rc_name(rc),
                      envelope_ctx_detail(ctx));
        ck_assert_uint_eq(msg.len, 0);
        rc = read_bundle(tar, len, 0, &msg, name);
        ck_assert_msg(rc == ENVELOPE_E_BAD_ARCHIVE &&
                          strcmp(envelope_ctx_detail(ctx),
                                 "entry 1: archive ends inside its data") == 0,
                      "size %s, no limit: got %s (%s)", sizes[i], envelope_rc_name(rc),
                      envelope_ctx_detail(ctx));
        bytes_free(&msg);
        free(tar);
        free_pax(pax);
    }
}
END_TEST

/* Skipping a message of 2^64 - 1 bytes unread: its data and padding are
 * 2^64 bytes, which must not wrap to nothing to skip. */
START_TEST(skip_entry_of_2_64_bytes)
{
    struct bytes pax[3] = {{0}};
    struct pieces src = {NULL, 0, 1000, 0};
    struct bundle_reader r;
    size_t at[3], len;
    char name[MESSAGE_NAME_MAX + 1];
    uint64_t size;
    uint8_t *tar;

    REC(&pax[0], "size", "18446744073709551615");
    tar = raw_three(pax, at, &len);
    src.p = tar;
    src.left = len;
    ck_assert_rc(bundle_reader_open(ctx, &r, from_pieces, &src), ENVELOPE_OK);
    ck_assert_rc(bundle_next(&r, NULL, 0, name, &size), ENVELOPE_OK);
    ck_assert_uint_eq(size, UINT64_MAX);
    ck_assert_rc(bundle_next(&r, "manifest.json", MANIFEST_MAX, name, &size),
                 ENVELOPE_E_BAD_ARCHIVE);
    ck_assert_str_eq(envelope_ctx_detail(ctx), "entry 1: archive ends inside its data");
    bundle_reader_free(&r);
    free(tar);
    free_pax(pax);
}
END_TEST

/* ------------------------------------ compat archives, by their bytes */

/* tar, gzip'd as the compat format has it. */
static uint8_t *gzip_of(const uint8_t *tar, size_t len, size_t *out_len)
{
    struct archive *a = archive_write_new();
    struct archive_entry *e = archive_entry_new();
    size_t cap = len + 1024;
    uint8_t *out = malloc(cap);

    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(e);
    ck_assert_ptr_nonnull(out);
    ck_assert_int_eq(archive_write_add_filter_gzip(a), ARCHIVE_OK);
    ck_assert_int_eq(archive_write_set_format_raw(a), ARCHIVE_OK);
    ck_assert_int_eq(archive_write_set_bytes_in_last_block(a, 1), ARCHIVE_OK);
    ck_assert_int_eq(archive_write_open_memory(a, out, cap, out_len), ARCHIVE_OK);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_size(e, (la_int64_t)len);
    ck_assert_int_eq(archive_write_header(a, e), ARCHIVE_OK);
    ck_assert_int_eq(archive_write_data(a, tar, len), (la_ssize_t)len);
    ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    archive_entry_free(e);
    return out;
}

/* A compat archive: message.sig (after pax records sig_pax, if any), then
 * the message hello.txt (after msg_pax), then the end, gzip'd. */
static uint8_t *compat_of(const struct bytes *sig_pax, const struct bytes *msg_pax, size_t *len)
{
    struct bytes t = {0};
    static const uint8_t zeros[2 * BLOCK];
    uint8_t *gz;

    add_entry(&t, "message.sig", sig_bytes, sizeof(sig_bytes) - 1, sig_pax->p ? sig_pax : NULL);
    add_entry(&t, "hello.txt", hello, sizeof(hello) - 1, msg_pax->p ? msg_pax : NULL);
    ck_assert_int_eq(bytes_append(&t, zeros, sizeof(zeros)), 0);
    gz = gzip_of(t.p, t.len, len);
    bytes_free(&t);
    return gz;
}

static envelope_rc unpack(const uint8_t *gz, size_t len, size_t *msg_len, char *name)
{
    struct opened *raw = calloc(1, sizeof(*raw));
    uint8_t msg[WRAPPED_MAX];
    envelope_rc rc;

    ck_assert_ptr_nonnull(raw);
    *msg_len = 0;
    rc = compat_unpack(ctx, gz, len, raw, msg, msg_len, name);
    free(raw);
    return rc;
}

/* The compat reader reads names and sizes by their bytes too; pax
 * keywords other than path and size stay allowed there (GNU tar's posix
 * format writes atime and ctime). */
START_TEST(compat_fields_by_length)
{
    static const struct {
        int sig;            /* the record goes before message.sig, else the message */
        const char *key, *value;
        size_t key_len, value_len;
        const char *detail; /* NULL: opens */
    } cases[] = {
        {0, "path", "hello.txt", 4, 9, NULL},
        {0, "mtime", "1704067200.5", 5, 12, NULL},
        {0, "path", "hello.txt\0junk", 4, 14, "entry 2: pax path holds a NUL"},
        {1, "path", "message.sig\0x", 4, 13, "entry 1: pax path holds a NUL"},
        {0, "size", "13\0", 4, 3, "entry 2: size is not a number"},
        {0, "path\0x", "hello.txt", 6, 9, NULL},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct bytes pax[2] = {{0}};
        char name[MESSAGE_NAME_MAX + 1] = "";
        size_t len, msg_len;
        uint8_t *gz;
        envelope_rc rc;

        pax_record(&pax[cases[i].sig], cases[i].key, cases[i].key_len, cases[i].value,
                   cases[i].value_len);
        gz = compat_of(&pax[1], &pax[0], &len);
        rc = unpack(gz, len, &msg_len, name);
        if (cases[i].detail == NULL && cases[i].key_len == 6) {
            /* a keyword with a NUL: libarchive or the byte check refuses it */
            ck_assert_msg(rc == ENVELOPE_E_BAD_ARCHIVE, "case %zu: %s", i, envelope_rc_name(rc));
        } else if (cases[i].detail == NULL) {
            ck_assert_msg(rc == ENVELOPE_OK, "case %zu: %s (%s)", i, envelope_rc_name(rc),
                          envelope_ctx_detail(ctx));
            ck_assert_str_eq(name, "hello.txt");
            ck_assert_uint_eq(msg_len, sizeof(hello) - 1);
        } else {
            ck_assert_msg(rc == ENVELOPE_E_BAD_ARCHIVE &&
                              strcmp(envelope_ctx_detail(ctx), cases[i].detail) == 0,
                          "case %zu: %s (%s), want BAD_ARCHIVE (%s)", i, envelope_rc_name(rc),
                          envelope_ctx_detail(ctx), cases[i].detail);
            ck_assert_str_eq(name, "");
        }
        free(gz);
        bytes_free(&pax[0]);
        bytes_free(&pax[1]);
    }
}
END_TEST

/* A GNU long name ('L', as GNU tar writes names over 100 bytes) is read
 * too, by its bytes: the name, then NULs only. */
START_TEST(compat_gnu_long_name)
{
    static const char *const bodies[] = {"hello.txt\0", "hello.txt\0\0\0", "hello.txt\0junk"};

    for (size_t i = 0; i < 3; i++) {
        struct bytes t = {0};
        static const uint8_t zeros[2 * BLOCK];
        size_t body_len = i == 0 ? 10 : i == 1 ? 12 : 14, len, msg_len;
        char name[MESSAGE_NAME_MAX + 1] = "";
        uint8_t *gz;
        envelope_rc rc;

        add_entry(&t, "message.sig", sig_bytes, sizeof(sig_bytes) - 1, NULL);
        ustar_block(&t, "././@LongLink", body_len, 'L');
        data_blocks(&t, bodies[i], body_len);
        add_entry(&t, "hello.tx", hello, sizeof(hello) - 1, NULL);
        ck_assert_int_eq(bytes_append(&t, zeros, sizeof(zeros)), 0);
        gz = gzip_of(t.p, t.len, &len);
        rc = unpack(gz, len, &msg_len, name);
        if (i < 2) {
            ck_assert_msg(rc == ENVELOPE_OK, "body %zu: %s (%s)", i, envelope_rc_name(rc),
                          envelope_ctx_detail(ctx));
            ck_assert_str_eq(name, "hello.txt");
        } else {
            ck_assert_rc(rc, ENVELOPE_E_BAD_ARCHIVE);
            ck_assert_str_eq(envelope_ctx_detail(ctx), "entry 2: long name holds a NUL");
            ck_assert_uint_eq(msg_len, 0);
        }
        free(gz);
        bytes_free(&t);
    }
}
END_TEST

static Suite *bundle_suite(void)
{
    Suite *s = suite_create("bundle");
    TCase *rt = tcase_create("round trip"), *rules = tcase_create("rules");

    tcase_add_checked_fixture(rt, setup, teardown);
    tcase_add_checked_fixture(rules, setup, teardown);
    tcase_add_test(rt, round_trip);
    tcase_add_test(rt, writer_fields);
    tcase_add_test(rules, reject_entry_types);
    tcase_add_test(rules, reject_names);
    tcase_add_test(rules, name_lengths);
    tcase_add_test(rules, reject_non_utf8_name);
    tcase_add_test(rules, reject_order_and_count);
    tcase_add_test(rules, manifest_size_limits);
    tcase_add_test(rules, message_over_max_size);
    tcase_add_test(rules, reject_data_past_stated_size);
    tcase_add_test(rules, reject_other_formats);
    tcase_add_test(rules, reject_gnu_longname);
    tcase_add_test(rules, end_of_archive);
    tcase_add_test(rules, short_entries);
    tcase_add_test(rules, reject_garbage);
    tcase_add_test(rules, reject_bad_checksum);
    tcase_add_test(rules, pax_before_each_entry);
    tcase_add_test(rules, octal_number_forms);
    tcase_add_test(rules, pax_nul_refused);
    tcase_add_test(rules, pax_nul_in_sig_path);
    tcase_add_test(rules, pax_records_refused);
    tcase_add_test(rules, ustar_size_junk_refused);
    tcase_add_test(rules, prefix_refused_with_pax_path);
    tcase_add_test(rules, pax_header_gnu_magic_refused);
    tcase_add_test(rules, checksum_digit_after_nul_refused);
    tcase_add_test(rules, headers_too_long_refused);
    tcase_add_test(rules, pax_faults_before_next_piece);
    tcase_add_test(rules, pax_size_over_64_bits);
    tcase_add_test(rules, fourth_entry_before_next_piece);
    tcase_add_test(rules, skip_entry_of_2_64_bytes);
    tcase_add_test(rules, left_to_reader_refused);
    tcase_add_test(rules, marker_blocks);
    tcase_add_test(rt, writer_pax_headers);
    tcase_add_test(rt, writer_refuses_misuse);
    tcase_add_test(rules, compat_fields_by_length);
    tcase_add_test(rules, compat_gnu_long_name);
    tcase_set_timeout(rt, 30);
    suite_add_tcase(s, rt);
    suite_add_tcase(s, rules);
    return s;
}

int main(void)
{
    return run_suite(bundle_suite()) ? 1 : 0;
}
