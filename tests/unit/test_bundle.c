/* bundle_write.c and bundle_read.c: the inner tar, written through a
 * memory sink and read back through a memory source, and the reader's
 * entry rules (docs/FORMAT.md section 5) against archives libarchive's
 * writer makes in every shape the rules forbid. */
#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
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
};

static envelope_rc from_pieces(envelope_ctx *ctx, void *arg, const uint8_t **p, size_t *n)
{
    struct pieces *s = arg;

    (void)ctx;
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

static envelope_rc read_bundle(const uint8_t *tar, size_t len, uint64_t max_size,
                               struct bytes *msg, char name[MESSAGE_NAME_MAX + 1])
{
    struct pieces src = {tar, len, 1000};
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
 * input is its regression file). No byte past the stated size comes out. */
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
    ck_assert_ptr_nonnull(strstr(envelope_ctx_detail(ctx), "longer than its stated"));
    ck_assert_uint_le(msg.len, 6); /* the ustar header states 6 bytes */
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
    tcase_set_timeout(rt, 30);
    suite_add_tcase(s, rt);
    suite_add_tcase(s, rules);
    return s;
}

int main(void)
{
    return run_suite(bundle_suite()) ? 1 : 0;
}
