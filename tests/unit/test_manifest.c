/* manifest.c, manifest_write.c, manifest_parse.c and identity.c: the
 * canonical manifest (docs/FORMAT.md, "Manifest") and the message-name
 * rules ("Inner archive"). */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/format.h"
#include "testutil.h"

#define FP_ALICE "sha256:a1f8a346d3292f918ae0985f8b23a16726b3e1a538af86a91f1b86738e676a28"
#define FP_ZEROS "sha256:0000000000000000000000000000000000000000000000000000000000000000"
#define ARN_A "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
#define ARN_B "arn:aws:kms:eu-west-1:111122223333:key/ffffffff-12ab-34cd-56ef-1234567890ab"
/* SHA-512 and SHA-256 of the empty string (FIPS 180-4 examples). */
#define SHA512_EMPTY                                                                       \
    "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff83" \
    "18d2877eec2f63b931bd47417a81a538327af927da3e"
#define SHA256_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* What Python's json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
 * gives for the values of sample() with name "report.pdf" (FORMAT.md says
 * that call gives the canonical bytes; run with /usr/bin/python3 3.11). */
static const char canonical[] =
    "{\"format\":\"libenvelope/1\",\"name\":\"report.pdf\",\"size\":12345,"
    "\"sha512\":\"" SHA512_EMPTY "\",\"header_sha256\":\"" SHA256_EMPTY "\","
    "\"recipients\":[{\"key\":\"" FP_ALICE "\"},{\"kms\":\"" ARN_A "\"},"
    "{\"key\":\"" FP_ZEROS "\",\"kms\":\"" ARN_B "\"}],"
    "\"signer\":{},\"created\":\"2023-11-14T22:13:20Z\"}";

static void sample(struct manifest *m, const char *name)
{
    memset(m, 0, sizeof(*m));
    strcpy(m->name, name);
    m->size = 12345;
    strcpy(m->sha512, SHA512_EMPTY);
    strcpy(m->header_sha256, SHA256_EMPTY);
    m->n_recipients = 3;
    strcpy(m->recipients[0].key, FP_ALICE);
    strcpy(m->recipients[1].kms, ARN_A);
    strcpy(m->recipients[2].key, FP_ZEROS);
    strcpy(m->recipients[2].kms, ARN_B);
    m->created = TEST_CREATED;
}

static envelope_rc parse_str(const char *s, struct manifest *m)
{
    return manifest_parse(NULL, (const uint8_t *)s, strlen(s), m);
}

/* canonical with the one occurrence of from replaced by to. */
static char *mutate(const char *from, const char *to)
{
    const char *at = strstr(canonical, from);
    char *out;

    ck_assert_msg(at != NULL && strstr(at + 1, from) == NULL, "\"%s\" not once", from);
    ck_assert_int_ge(asprintf(&out, "%.*s%s%s", (int)(at - canonical), canonical, to,
                              at + strlen(from)),
                     0);
    return out;
}

static void assert_rejected(const char *from, const char *to)
{
    struct manifest m;
    char *s = mutate(from, to);
    envelope_rc rc = parse_str(s, &m);

    ck_assert_msg(rc == ENVELOPE_E_BAD_MANIFEST, "accepted (%s): %s -> %s",
                  envelope_rc_name(rc), from, to);
    ck_assert_str_eq(m.name, ""); /* nothing half-parsed is left */
    free(s);
}

/* ------------------------------------------------------------------ encode */

START_TEST(encode_canonical_bytes)
{
    struct manifest m;
    struct bytes b = {0};

    sample(&m, "report.pdf");
    ck_assert_rc(manifest_encode(NULL, &m, &b), ENVELOPE_OK);
    ck_assert_uint_eq(b.len, strlen(canonical));
    ck_assert_mem_eq(b.p, canonical, b.len);
    ck_assert_mem_eq(b.p, MANIFEST_PREFIX, MANIFEST_PREFIX_LEN);
    ck_assert_str_eq(MANIFEST_PREFIX, "{\"format\":\"libenvelope/1\",");
    bytes_free(&b);
}
END_TEST

/* Only '"' and '\' are escaped; UTF-8 goes through as bytes (python:
 * json.dumps(..., ensure_ascii=False) of the name 'a "q" \ naïve'). */
START_TEST(encode_escapes_only_quote_and_backslash)
{
    struct manifest m;
    struct bytes b = {0}, again = {0};
    struct manifest back;
    const char *want = "\"name\":\"a \\\"q\\\" \\\\ na\xc3\xafve\",";

    sample(&m, "a \"q\" \\ na\xc3\xafve");
    ck_assert_rc(manifest_encode(NULL, &m, &b), ENVELOPE_OK);
    ck_assert_ptr_nonnull(memmem(b.p, b.len, want, strlen(want)));
    ck_assert_rc(manifest_parse(NULL, b.p, b.len, &back), ENVELOPE_OK);
    ck_assert_str_eq(back.name, m.name);
    ck_assert_rc(manifest_encode(NULL, &back, &again), ENVELOPE_OK);
    ck_assert_uint_eq(again.len, b.len);
    ck_assert_mem_eq(again.p, b.p, b.len);
    bytes_free(&b);
    bytes_free(&again);
}
END_TEST

/* json-c's writer, which made the canonical bytes before manifest.c wrote
 * them itself: the same members in the same order, JSON_C_TO_STRING_PLAIN
 * and NOSLASHESCAPE. Kept here as a second encoder to compare with. */
static json_object *jc_identity(const struct identity *id)
{
    json_object *o = json_object_new_object();

    if (id->key[0])
        json_object_object_add(o, "key", json_object_new_string(id->key));
    if (id->kms[0])
        json_object_object_add(o, "kms", json_object_new_string(id->kms));
    return o;
}

static char *jc_encode(const struct manifest *m)
{
    json_object *o = json_object_new_object(), *r = json_object_new_array();
    char created[32];
    struct tm tm;
    char *text;

    ck_assert_ptr_nonnull(gmtime_r(&m->created, &tm));
    strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
    for (size_t i = 0; i < m->n_recipients; i++)
        json_object_array_add(r, jc_identity(&m->recipients[i]));
    json_object_object_add(o, "format", json_object_new_string("libenvelope/1"));
    json_object_object_add(o, "name", json_object_new_string(m->name));
    json_object_object_add(o, "size", json_object_new_int64((int64_t)m->size));
    json_object_object_add(o, "sha512", json_object_new_string(m->sha512));
    json_object_object_add(o, "header_sha256", json_object_new_string(m->header_sha256));
    json_object_object_add(o, "recipients", r);
    json_object_object_add(o, "signer", jc_identity(&m->signer));
    json_object_object_add(o, "created", json_object_new_string(created));
    text = strdup(json_object_to_json_string_ext(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return text;
}

static void assert_same_as_json_c(const struct manifest *m, const char *what)
{
    struct bytes out = {0};
    char *want = jc_encode(m);

    ck_assert_rc(manifest_encode_raw(NULL, m, &out), ENVELOPE_OK);
    ck_assert_msg(out.len == strlen(want) && memcmp(out.p, want, out.len) == 0,
                  "%s:\n ours   %.*s\n json-c %s", what, (int)out.len, (const char *)out.p,
                  want);
    free(want);
    bytes_free(&out);
}

/* Every byte in a name (the encoder does not judge names; the parser's
 * re-encoding sees whatever a sender wrote), and manifests of every shape:
 * 0 to 16 recipients with a key, an ARN, both or neither, the size and
 * creation time at their bounds. */
START_TEST(encode_as_json_c_does)
{
    static const time_t created[] = {TEST_CREATED, -30610224000, 253402300799, 0};
    static const uint64_t sizes[] = {0, 1, 12345, INT64_MAX};
    struct manifest m;
    unsigned seed = 7;

    for (int c = 1; c < 256; c++) {
        char name[8], what[32];

        snprintf(name, sizeof(name), "a%cb", c);
        sample(&m, name);
        snprintf(what, sizeof(what), "byte 0x%02x", c);
        assert_same_as_json_c(&m, what);
    }
    for (int round = 0; round < 200; round++) {
        char what[32];

        sample(&m, "na\xc3\xafve \"q\" \\ \xe2\x82\xac.txt");
        m.n_recipients = (size_t)(rand_r(&seed) % 17);
        for (size_t i = 0; i < m.n_recipients; i++) {
            int shape = rand_r(&seed) % 4;

            memset(&m.recipients[i], 0, sizeof(m.recipients[i]));
            if (shape & 1)
                strcpy(m.recipients[i].key, i % 2 ? FP_ALICE : FP_ZEROS);
            if (shape & 2)
                strcpy(m.recipients[i].kms, i % 3 ? ARN_A : ARN_B);
        }
        if (round % 3 == 0)
            strcpy(m.signer.key, FP_ALICE);
        if (round % 5 == 0)
            strcpy(m.signer.kms, ARN_B);
        m.size = sizes[round % 4];
        m.created = created[round % 4];
        snprintf(what, sizeof(what), "round %d", round);
        assert_same_as_json_c(&m, what);
    }
}
END_TEST

START_TEST(encode_refuses_oversize)
{
    struct manifest m;
    struct bytes b = {0};

    sample(&m, "report.pdf");
    m.size = (uint64_t)INT64_MAX + 1;
    ck_assert_rc(manifest_encode(NULL, &m, &b), ENVELOPE_E_INVALID_ARGUMENT);
    /* 16 recipients with the longest ARNs do not fit in 4096 bytes */
    m.size = 1;
    m.n_recipients = STANZA_MAX;
    for (size_t i = 0; i < STANZA_MAX; i++) {
        strcpy(m.recipients[i].key, FP_ALICE);
        memcpy(m.recipients[i].kms, "arn:", 4);
        memset(m.recipients[i].kms + 4, 'k', IDENTITY_MAX - 4);
        m.recipients[i].kms[IDENTITY_MAX] = '\0';
    }
    ck_assert_rc(manifest_encode(NULL, &m, &b), ENVELOPE_E_TOO_MANY_RECIPIENTS);
    ck_assert_uint_eq(b.len, 0);
    bytes_free(&b);
}
END_TEST

/* An append that fails anywhere in the manifest (the buffer's limit
 * reached at each byte in turn): ENVELOPE_E_NOMEM, and the buffer holds
 * what it held before, no part of a manifest to sign. An oversize one
 * leaves it so too. */
START_TEST(encode_failure_leaves_buffer_as_it_was)
{
    static const char before[] = "held before";
    struct manifest m;
    struct bytes full = {0};

    sample(&m, "na\xc3\xafve \"q\" \\ \xe2\x82\xac.txt");
    ck_assert_rc(manifest_encode(NULL, &m, &full), ENVELOPE_OK);
    for (size_t room = 0; room <= full.len; room++) {
        struct bytes b = {0};
        envelope_rc rc;

        ck_assert_int_eq(bytes_append(&b, before, sizeof(before) - 1), 0);
        b.limit = sizeof(before) - 1 + room;
        rc = manifest_encode(NULL, &m, &b);
        ck_assert_msg(rc == (room == full.len ? ENVELOPE_OK : ENVELOPE_E_NOMEM) &&
                          b.len == sizeof(before) - 1 + (rc == ENVELOPE_OK ? full.len : 0),
                      "room %zu of %zu: rc %d, %zu bytes", room, full.len, (int)rc, b.len);
        ck_assert_mem_eq(b.p, before, sizeof(before) - 1);
        if (rc == ENVELOPE_OK)
            ck_assert_mem_eq(b.p + sizeof(before) - 1, full.p, full.len);
        bytes_free(&b);
    }
    bytes_free(&full);
}
END_TEST

START_TEST(encode_oversize_leaves_buffer_as_it_was)
{
    static const char before[] = "held before";
    struct manifest m;
    struct bytes b = {0};

    sample(&m, "report.pdf");
    m.n_recipients = STANZA_MAX;
    for (size_t i = 0; i < STANZA_MAX; i++) {
        strcpy(m.recipients[i].key, FP_ALICE);
        memcpy(m.recipients[i].kms, "arn:", 4);
        memset(m.recipients[i].kms + 4, 'k', IDENTITY_MAX - 4);
        m.recipients[i].kms[IDENTITY_MAX] = '\0';
    }
    ck_assert_int_eq(bytes_append(&b, before, sizeof(before) - 1), 0);
    ck_assert_rc(manifest_encode(NULL, &m, &b), ENVELOPE_E_TOO_MANY_RECIPIENTS);
    ck_assert_uint_eq(b.len, sizeof(before) - 1);
    ck_assert_mem_eq(b.p, before, sizeof(before) - 1);
    bytes_free(&b);
}
END_TEST

/* ------------------------------------------------------------------- parse */

/* "created" needs a four-digit year: times outside 1000..9999 are refused
 * at seal, since no reader would accept the manifest. */
START_TEST(encode_refuses_year_outside_four_digits)
{
    struct manifest m;
    struct bytes b = {0};
    const char *want;

    sample(&m, "report.pdf");
    m.created = -30610224000LL - 1; /* 0999-12-31T23:59:59Z */
    ck_assert_rc(manifest_encode(NULL, &m, &b), ENVELOPE_E_INVALID_ARGUMENT);
    m.created = 253402300800LL; /* 10000-01-01T00:00:00Z */
    ck_assert_rc(manifest_encode(NULL, &m, &b), ENVELOPE_E_INVALID_ARGUMENT);
    ck_assert_uint_eq(b.len, 0);
    m.created = -30610224000LL; /* 1000-01-01T00:00:00Z */
    ck_assert_rc(manifest_encode(NULL, &m, &b), ENVELOPE_OK);
    want = "\"created\":\"1000-01-01T00:00:00Z\"";
    ck_assert_ptr_nonnull(memmem(b.p, b.len, want, strlen(want)));
    bytes_free(&b);
}
END_TEST

START_TEST(parse_canonical)
{
    struct manifest m, want;

    sample(&want, "report.pdf");
    ck_assert_rc(parse_str(canonical, &m), ENVELOPE_OK);
    ck_assert_str_eq(m.name, want.name);
    ck_assert_uint_eq(m.size, want.size);
    ck_assert_str_eq(m.sha512, want.sha512);
    ck_assert_str_eq(m.header_sha256, want.header_sha256);
    ck_assert_uint_eq(m.n_recipients, 3);
    for (size_t i = 0; i < 3; i++) {
        ck_assert_str_eq(m.recipients[i].key, want.recipients[i].key);
        ck_assert_str_eq(m.recipients[i].kms, want.recipients[i].kms);
    }
    ck_assert_str_eq(m.signer.key, "");
    ck_assert_str_eq(m.signer.kms, "");
    ck_assert_int_eq(m.created, TEST_CREATED);
}
END_TEST

START_TEST(parse_size_extremes)
{
    struct manifest m;
    char *s = mutate("\"size\":12345", "\"size\":9223372036854775807");

    ck_assert_rc(parse_str(s, &m), ENVELOPE_OK);
    ck_assert_uint_eq(m.size, (uint64_t)INT64_MAX);
    free(s);
    s = mutate("\"size\":12345", "\"size\":0");
    ck_assert_rc(parse_str(s, &m), ENVELOPE_OK);
    ck_assert_uint_eq(m.size, 0);
    free(s);
}
END_TEST

START_TEST(reject_prefix)
{
    struct manifest m;

    assert_rejected("\"libenvelope/1\"", "\"libenvelope/2\"");
    assert_rejected("{\"format\"", "{ \"format\"");
    assert_rejected("{\"format\":\"libenvelope/1\",", "{\"format\":\"libenvelope/1\" ,");
    /* the prefix is checked on the bytes: the same JSON value, differently
     * written, is refused */
    assert_rejected("{\"format\":\"libenvelope/1\",", "{\"format\":\"libenvelope\\/1\",");
    ck_assert_rc(manifest_parse(NULL, (const uint8_t *)canonical, MANIFEST_PREFIX_LEN - 1, &m),
                 ENVELOPE_E_BAD_MANIFEST);
    ck_assert_rc(manifest_parse(NULL, (const uint8_t *)canonical, MANIFEST_PREFIX_LEN, &m),
                 ENVELOPE_E_BAD_MANIFEST);
    ck_assert_rc(manifest_parse(NULL, (const uint8_t *)"", 0, &m), ENVELOPE_E_BAD_MANIFEST);
}
END_TEST

START_TEST(reject_invalid_json)
{
    struct manifest m;
    size_t n = strlen(canonical);
    char *s;

    ck_assert_rc(manifest_parse(NULL, (const uint8_t *)canonical, n - 1, &m),
                 ENVELOPE_E_BAD_MANIFEST);
    assert_rejected("\"created\":\"2023-11-14T22:13:20Z\"}",
                    "\"created\":\"2023-11-14T22:13:20Z\"}}");
    assert_rejected("\"size\":12345,", "\"size\":12345,,");
    assert_rejected("\"size\":12345", "\"size\":0x3039");
    assert_rejected("\"signer\":{}", "\"signer\":{},");
    assert_rejected("[{\"key\"", "[{'key'");
    /* a NUL inside the bytes */
    s = strdup(canonical);
    s[40] = '\0';
    ck_assert_rc(manifest_parse(NULL, (const uint8_t *)s, n, &m), ENVELOPE_E_BAD_MANIFEST);
    free(s);
}
END_TEST

START_TEST(reject_whitespace)
{
    assert_rejected("\"size\":12345", "\"size\": 12345");
    assert_rejected(",\"sha512\"", ", \"sha512\"");
    assert_rejected("[{\"key\"", "[ {\"key\"");
    assert_rejected("\"signer\":{}", "\"signer\":{ }");
    assert_rejected("Z\"}", "Z\"}\n");
    assert_rejected("Z\"}", "Z\"} ");
    assert_rejected("Z\"}", "Z\"\t}");
}
END_TEST

START_TEST(reject_member_order_duplicates_unknown_missing)
{
    /* reordered */
    assert_rejected("\"name\":\"report.pdf\",\"size\":12345",
                    "\"size\":12345,\"name\":\"report.pdf\"");
    assert_rejected("{\"key\":\"" FP_ZEROS "\",\"kms\":\"" ARN_B "\"}",
                    "{\"kms\":\"" ARN_B "\",\"key\":\"" FP_ZEROS "\"}");
    assert_rejected("\"signer\":{},\"created\":\"2023-11-14T22:13:20Z\"",
                    "\"created\":\"2023-11-14T22:13:20Z\",\"signer\":{}");
    /* duplicates */
    assert_rejected("\"size\":12345,", "\"size\":12345,\"size\":12345,");
    assert_rejected("\"name\":\"report.pdf\",", "\"name\":\"x\",\"name\":\"report.pdf\",");
    assert_rejected("{\"kms\":\"" ARN_A "\"}", "{\"kms\":\"" ARN_A "\",\"kms\":\"" ARN_A "\"}");
    /* unknown members */
    assert_rejected("\"signer\":{},", "\"signer\":{},\"extra\":1,");
    assert_rejected("\"signer\":{}", "\"signer\":{\"foo\":\"bar\"}");
    assert_rejected("{\"kms\":\"" ARN_A "\"}", "{\"kms\":\"" ARN_A "\",\"x\":1}");
    /* missing members */
    assert_rejected(",\"size\":12345", "");
    assert_rejected("\"name\":\"report.pdf\",", "");
    assert_rejected("\"sha512\":\"" SHA512_EMPTY "\",", "");
    assert_rejected("\"header_sha256\":\"" SHA256_EMPTY "\",", "");
    assert_rejected("\"signer\":{},", "");
    assert_rejected(",\"created\":\"2023-11-14T22:13:20Z\"", "");
}
END_TEST

START_TEST(reject_wrong_types)
{
    assert_rejected("\"size\":12345", "\"size\":\"12345\"");
    assert_rejected("\"size\":12345", "\"size\":true");
    assert_rejected("\"size\":12345", "\"size\":null");
    assert_rejected("\"size\":12345", "\"size\":[12345]");
    assert_rejected("\"name\":\"report.pdf\"", "\"name\":5");
    assert_rejected("\"name\":\"report.pdf\"", "\"name\":[\"report.pdf\"]");
    assert_rejected("\"sha512\":\"" SHA512_EMPTY "\"", "\"sha512\":null");
    assert_rejected("\"signer\":{}", "\"signer\":[]");
    assert_rejected("\"signer\":{}", "\"signer\":\"" FP_ALICE "\"");
    assert_rejected("\"created\":\"2023-11-14T22:13:20Z\"", "\"created\":1700000000");
    assert_rejected("{\"key\":\"" FP_ALICE "\"}", "\"" FP_ALICE "\"");
    assert_rejected("{\"key\":\"" FP_ALICE "\"}", "{\"key\":[\"" FP_ALICE "\"]}");
    assert_rejected("\"recipients\":[{\"key\":\"" FP_ALICE "\"},",
                    "\"recipients\":{\"a\":{\"key\":\"" FP_ALICE "\"}},\"r\":[");
}
END_TEST

START_TEST(reject_recipients)
{
    struct manifest m;
    struct bytes b = {0};
    char *s;

    assert_rejected("[{\"key\":\"" FP_ALICE "\"},{\"kms\":\"" ARN_A "\"},"
                    "{\"key\":\"" FP_ZEROS "\",\"kms\":\"" ARN_B "\"}]",
                    "[]");
    assert_rejected("{\"kms\":\"" ARN_A "\"}", "{}");
    assert_rejected("{\"kms\":\"" ARN_A "\"}", "{\"kms\":\"alias/mykey\"}");
    assert_rejected("{\"kms\":\"" ARN_A "\"}", "{\"kms\":\"\"}");
    assert_rejected("{\"key\":\"" FP_ALICE "\"}", "{\"key\":\"" FP_ALICE "0\"}");
    assert_rejected("{\"key\":\"" FP_ALICE "\"}", "{\"key\":\"sha256:A1F8\"}");
    assert_rejected("\"signer\":{}", "\"signer\":{\"key\":\"sha256:abc\"}");
    /* 17 recipients, each valid */
    sample(&m, "report.pdf");
    m.n_recipients = 1;
    ck_assert_rc(manifest_encode(NULL, &m, &b), ENVELOPE_OK);
    bytes_put_u8(&b, 0);
    {
        char one[] = "{\"key\":\"" FP_ALICE "\"}";
        char list[17 * sizeof(one) + 2] = "[";
        char *text = (char *)b.p, *start = strstr(text, "[{"), *end = strstr(text, "}]");

        for (int i = 0; i < 17; i++) {
            strcat(list, one);
            strcat(list, i < 16 ? "," : "]");
        }
        ck_assert_int_ge(asprintf(&s, "%.*s%s%s", (int)(start - text), text, list, end + 2), 0);
    }
    ck_assert_rc(parse_str(s, &m), ENVELOPE_E_BAD_MANIFEST);
    free(s);
    bytes_free(&b);
}
END_TEST

START_TEST(reject_hex_forms)
{
    char upper[129];

    for (int i = 0; i < 128; i++)
        upper[i] = (char)(SHA512_EMPTY[i] >= 'a' ? SHA512_EMPTY[i] - 32 : SHA512_EMPTY[i]);
    upper[128] = '\0';
    assert_rejected(SHA512_EMPTY, upper);
    assert_rejected(SHA512_EMPTY, SHA512_EMPTY "0");
    assert_rejected(SHA512_EMPTY "\"", "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921"
                                       "d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a8"
                                       "1a538327af927da3\"");
    assert_rejected(SHA512_EMPTY, "zf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36c"
                                  "e9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327a"
                                  "f927da3e");
    assert_rejected(SHA256_EMPTY, "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852"
                                  "B855");
    assert_rejected(SHA256_EMPTY "\"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca4959"
                                       "91b7852b85\"");
    assert_rejected(SHA256_EMPTY, SHA256_EMPTY "5");
}
END_TEST

START_TEST(reject_sizes)
{
    static const char *bad[] = {
        "-1", "-0", "12345.0", "1.5", "1e3", "1E3", "012345", "+12345",
        "9223372036854775808",  /* 2^63 */
        "18446744073709551616", /* 2^64 */
        "99999999999999999999999",
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char to[64];

        snprintf(to, sizeof(to), "\"size\":%s", bad[i]);
        assert_rejected("\"size\":12345", to);
    }
}
END_TEST

START_TEST(reject_created)
{
    static const char *bad[] = {
        "2023-11-14T22:13:20",   "2023-11-14 22:13:20Z",  "2023-11-14t22:13:20z",
        "2023-02-30T00:00:00Z",  "2023-11-14T24:00:00Z",  "2023-11-14T23:59:60Z",
        "2023-13-01T00:00:00Z",  "2023-00-10T00:00:00Z",  "2023-11-14T22:13:20.0Z",
        "2023-11-14T22:13:20+00:00", "2023-1-14T22:13:200Z", "20231114T221320Z",
        "2023-11-14T22:13:2 Z",  " 2023-11-14T22:13:20Z", "",
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char to[64];

        snprintf(to, sizeof(to), "\"created\":\"%s\"", bad[i]);
        assert_rejected("\"created\":\"2023-11-14T22:13:20Z\"", to);
    }
}
END_TEST

START_TEST(reject_strings)
{
    /* invalid UTF-8 as raw bytes */
    assert_rejected("report.pdf", "report\xff.pdf");
    assert_rejected("report.pdf", "report\xc3.pdf");
    assert_rejected("report.pdf", "report\xc0\xae.pdf"); /* overlong '.' */
    assert_rejected("report.pdf", "report\xed\xa0\x80.pdf"); /* surrogate */
    assert_rejected("report.pdf", "report\xf4\x90\x80\x80.pdf"); /* past U+10FFFF */
    /* alternative escapes of allowed characters */
    assert_rejected("report.pdf", "report\\u002epdf");
    assert_rejected("report.pdf", "r\\u00e9port.pdf");
    assert_rejected("report.pdf", "rep\\/ort.pdf");
    /* escapes that decode to what a name may not hold */
    assert_rejected("report.pdf", "rep\\u0000ort.pdf");
    assert_rejected("report.pdf", "rep\\u0001ort.pdf");
    assert_rejected("report.pdf", "rep\\nort.pdf");
    assert_rejected("report.pdf", "rep\\ud800ort.pdf");
    assert_rejected("report.pdf", "rep\\ud83d\\ude00ort.pdf"); /* valid, but escaped */
    /* raw control characters are not JSON */
    assert_rejected("report.pdf", "rep\x01ort.pdf");
}
END_TEST

START_TEST(reject_bad_names)
{
    char to[300];

    assert_rejected("\"report.pdf\"", "\"\"");
    assert_rejected("\"report.pdf\"", "\".hidden\"");
    assert_rejected("\"report.pdf\"", "\"manifest.json\"");
    assert_rejected("\"report.pdf\"", "\"manifest.sig\"");
    assert_rejected("\"report.pdf\"", "\"a/b\"");
    assert_rejected("\"report.pdf\"", "\"../x\"");
    assert_rejected("\"report.pdf\"", "\"x\x7f\"");
    to[0] = '"';
    memset(to + 1, 'n', 256);
    strcpy(to + 257, "\"");
    assert_rejected("\"report.pdf\"", to);
}
END_TEST

START_TEST(reject_oversize)
{
    struct manifest m;
    uint8_t *big = malloc(MANIFEST_MAX + 1);

    memset(big, ' ', MANIFEST_MAX + 1);
    memcpy(big, canonical, strlen(canonical));
    ck_assert_rc(manifest_parse(NULL, big, MANIFEST_MAX + 1, &m), ENVELOPE_E_BAD_MANIFEST);
    free(big);
}
END_TEST

/* --------------------------------------------------------- message names */

static int name_ok(const char *name, size_t len)
{
    const char *why = "unset";
    int r = message_name_check(name, len, &why);

    ck_assert_msg((r == 0) == (why == NULL), "why must be set exactly on refusal");
    return r == 0;
}

#define NAME_OK(s) name_ok(s, sizeof(s) - 1)

START_TEST(name_rules)
{
    char n[300];

    ck_assert(NAME_OK("message"));
    ck_assert(NAME_OK("report.pdf"));
    ck_assert(NAME_OK("a.b.c"));
    ck_assert(NAME_OK("with space"));
    ck_assert(NAME_OK("manifest"));
    ck_assert(NAME_OK("manifestjson"));
    ck_assert(NAME_OK("Manifest.json"));
    ck_assert(NAME_OK("x.manifest.json"));
    ck_assert(NAME_OK("na\xc3\xafve"));
    ck_assert(NAME_OK("\xe2\x82\xac"));           /* U+20AC, 3 bytes */
    ck_assert(NAME_OK("\xf0\x9f\x98\x80"));       /* U+1F600, 4 bytes */
    ck_assert(NAME_OK("\xf4\x8f\xbf\xbf"));       /* U+10FFFF */
    ck_assert(NAME_OK("\xee\x80\x80"));           /* U+E000, after the surrogates */
    ck_assert(!NAME_OK(""));
    ck_assert(!NAME_OK("."));
    ck_assert(!NAME_OK(".."));
    ck_assert(!NAME_OK(".hidden"));
    ck_assert(!NAME_OK("a/b"));
    ck_assert(!NAME_OK("/abs"));
    ck_assert(!NAME_OK("../x"));
    ck_assert(!NAME_OK("dir/"));
    ck_assert(!NAME_OK("a\0b"));
    ck_assert(!NAME_OK("a\x01"));
    ck_assert(!NAME_OK("a\x1f"));
    ck_assert(!NAME_OK("tab\there"));
    ck_assert(!NAME_OK("new\nline"));
    ck_assert(!NAME_OK("del\x7f"));
    ck_assert(!NAME_OK("manifest.json"));
    ck_assert(!NAME_OK("manifest.sig"));
    ck_assert(!NAME_OK("manifest."));
    ck_assert(!NAME_OK("manifest.anything"));
    ck_assert(!NAME_OK("\xc0\xaf"));              /* overlong '/' */
    ck_assert(!NAME_OK("\xc1\xbf"));              /* overlong */
    ck_assert(!NAME_OK("\xe0\x80\xaf"));          /* overlong, 3 bytes */
    ck_assert(!NAME_OK("\xe0\x9f\xbf"));          /* overlong U+07FF */
    ck_assert(!NAME_OK("\xf0\x8f\xbf\xbf"));      /* overlong U+FFFF */
    ck_assert(!NAME_OK("\xed\xa0\x80"));          /* U+D800 */
    ck_assert(!NAME_OK("\xed\xbf\xbf"));          /* U+DFFF */
    ck_assert(!NAME_OK("\xf4\x90\x80\x80"));      /* U+110000 */
    ck_assert(!NAME_OK("\xf5\x80\x80\x80"));
    ck_assert(!NAME_OK("\xff"));
    ck_assert(!NAME_OK("\x80"));                  /* lone continuation */
    ck_assert(!NAME_OK("a\xc3"));                 /* cut at the end */
    ck_assert(!NAME_OK("a\xe2\x82"));
    ck_assert(!NAME_OK("\xc3\x28"));              /* bad continuation */
    /* the length given is what counts, not a NUL */
    ck_assert(!name_ok("ab", 3));
    memset(n, 'n', sizeof(n));
    ck_assert(name_ok(n, 255));
    ck_assert(!name_ok(n, 256));
    /* 255 bytes ending in a whole 2-byte character; 256 with it is refused */
    memcpy(n + 253, "\xc3\xa9", 2);
    ck_assert(name_ok(n, 255));
    memcpy(n + 254, "\xc3\xa9", 2);
    ck_assert(!name_ok(n, 256));
    ck_assert(!name_ok(n, 255)); /* cut inside the character */
}
END_TEST

static Suite *manifest_suite(void)
{
    Suite *s = suite_create("manifest");
    TCase *enc = tcase_create("encode"), *dec = tcase_create("parse"),
          *names = tcase_create("names");

    tcase_add_test(enc, encode_canonical_bytes);
    tcase_add_test(enc, encode_escapes_only_quote_and_backslash);
    tcase_add_test(enc, encode_as_json_c_does);
    tcase_add_test(enc, encode_refuses_oversize);
    tcase_add_test(enc, encode_failure_leaves_buffer_as_it_was);
    tcase_add_test(enc, encode_oversize_leaves_buffer_as_it_was);
    tcase_add_test(enc, encode_refuses_year_outside_four_digits);
    tcase_add_test(dec, parse_canonical);
    tcase_add_test(dec, parse_size_extremes);
    tcase_add_test(dec, reject_prefix);
    tcase_add_test(dec, reject_invalid_json);
    tcase_add_test(dec, reject_whitespace);
    tcase_add_test(dec, reject_member_order_duplicates_unknown_missing);
    tcase_add_test(dec, reject_wrong_types);
    tcase_add_test(dec, reject_recipients);
    tcase_add_test(dec, reject_hex_forms);
    tcase_add_test(dec, reject_sizes);
    tcase_add_test(dec, reject_created);
    tcase_add_test(dec, reject_strings);
    tcase_add_test(dec, reject_bad_names);
    tcase_add_test(dec, reject_oversize);
    tcase_add_test(names, name_rules);
    suite_add_tcase(s, enc);
    suite_add_tcase(s, dec);
    suite_add_tcase(s, names);
    return s;
}

int main(void)
{
    return run_suite(manifest_suite()) ? 1 : 0;
}
