/* stream.c: AES-256-GCM chunks (NIST known answers through gcm_seal and
 * gcm_open), the STREAM nonce, the chunked encoder and decoder with every
 * way a payload can be cut, reordered or extended, and the payload key. */
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "format/format.h"
#include "pipeline/pipeline.h"
#include "format/stream.h"
#include "testutil.h"

#define SEALED (CHUNK_SIZE + TAG_LEN)

/* ------------------------------------------------------ NIST known answers */

struct gcm_vector {
    const char *key, *iv, *pt, *ct, *tag;
};

/* NIST CAVP GCMVS, gcmEncryptExtIV256.rsp (CAVS 14.0, gcmtestvectors.zip from
 * csrc.nist.gov), [Keylen = 256] [IVlen = 96] [AADlen = 0] [Taglen = 128]:
 * PTlen = 0 Counts 0-1, PTlen = 128 Counts 0-1, PTlen = 104 Counts 0-1.
 * Copied as data; each re-checked with python3-cryptography's AESGCM. */
static const struct gcm_vector encrypt_vectors[] = {
    {"b52c505a37d78eda5dd34f20c22540ea1b58963cf8e5bf8ffa85f9f2492505b4",
     "516c33929df5a3284ff463d7", "", "", "bdc1ac884d332457a1d2664f168c76f0"},
    {"5fe0861cdc2690ce69b3658c7f26f8458eec1c9243c5ba0845305d897e96ca0f",
     "770ac1a5a3d476d5d96944a1", "", "", "196d691e1047093ca4b3d2ef4baba216"},
    {"31bdadd96698c204aa9ce1448ea94ae1fb4a9a0b3c9d773b51bb1822666b8f22",
     "0d18e06c7c725ac9e362e1ce", "2db5168e932556f8089a0622981d017d",
     "fa4362189661d163fcd6a56d8bf0405a", "d636ac1bbedd5cc3ee727dc2ab4a9489"},
    {"460fc864972261c2560e1eb88761ff1c992b982497bd2ac36c04071cbb8e5d99",
     "8a4a16b9e210eb68bcb6f58d", "99e4e926ffe927f691893fb79a96b067",
     "133fc15751621b5f325c7ff71ce08324", "ec4e87e0cf74a13618d0b68636ba9fa7"},
    {"82c4f12eeec3b2d3d157b0f992d292b237478d2cecc1d5f161389b97f999057a",
     "7b40b20f5f397177990ef2d1", "982a296ee1cd7086afad976945", "ec8e05a0471d6b43a59ca5335f",
     "113ddeafc62373cac2f5951bb9165249"},
    {"db4340af2f835a6c6d7ea0ca9d83ca81ba02c29b7410f221cb6071114e393240",
     "40e438357dd80a85cac3349e", "8ddb3397bd42853193cb0f80c9", "b694118c85c41abf69e229cb0f",
     "c07f1b8aafbd152f697eb67f2a85fe45"},
};

/* NIST CAVP GCMVS, gcmDecrypt256.rsp (same archive), [Keylen = 256]
 * [IVlen = 96] [AADlen = 0] [Taglen = 128]: PTlen = 0 Counts 0-1, PTlen = 128
 * Counts 0-2, PTlen = 104 Counts 0-2. pt NULL: the file says FAIL. */
static const struct gcm_vector decrypt_vectors[] = {
    {"f5a2b27c74355872eb3ef6c5feafaa740e6ae990d9d48c3bd9bb8235e589f010",
     "58d2240f580a31c1d24948e9", "", "", "15e051a5e4a5f5da6cea92e2ebee5bac"},
    {"e5a8123f2e2e007d4e379ba114a2fb66e6613f57c72d4e4f024964053028a831",
     "51e43385bf533e168427e1ad", NULL, "", "38fe845c66e66bdd884c2aecafd280e6"},
    {"4c8ebfe1444ec1b2d503c6986659af2c94fafe945f72c1e8486a5acfedb8a0f8",
     "473360e0ad24889959858995", "7789b41cb3ee548814ca0b388c10b343",
     "d2c78110ac7e8f107c0df0570bd7c90c", "c26a379b6d98ef2852ead8ce83a833a7"},
    {"3934f363fd9f771352c4c7a060682ed03c2864223a1573b3af997e2ababd60ab",
     "efe2656d878c586e41c539c4", "697aff2d6b77e5ed6232770e400c1ead",
     "e0de64302ac2d04048d65a87d2ad09fe", "33cbd8d2fb8a3a03e30c1eb1b53c1d99"},
    {"c997768e2d14e3d38259667a6649079de77beb4543589771e5068e6cd7cd0b14",
     "835090aed9552dbdd45277e2", NULL, "9f6607d68e22ccf21928db0986be126e",
     "f32617f67c574fd9f44ef76ff880ab9f"},
    {"8b37c4b8cf634704920059866ad96c49e9da502c63fca4a3a7a4dcec74cb0610",
     "cb59344d2b06c4ae57cd0ea4", NULL, "66ab935c93555e786b775637a3",
     "d8733acbb564d8afaa99d7ca2e2f92a9"},
    {"a71dac1377a3bf5d7fb1b5e36bee70d2e01de2a84a1c1009ba7448f7f26131dc",
     "c5b60dda3f333b1146e9da7c", "5b87141335f2becac1a559e05f", "43af49ec1ae3738a20755034d6",
     "6f80b6ef2d8830a55eb63680a8dff9e0"},
    {"dc1f64681014be221b00793bbcf5a5bc675b968eb7a3a3d5aa5978ef4fa45ecc",
     "056ae9a1a69e38af603924fe", "2a7e05612191c8bce2f529dca9", "33013a48d9ea0df2911d583271",
     "5b8f9cc22303e979cd1524187e9f70fe"},
};

#define N_ENC (sizeof(encrypt_vectors) / sizeof(encrypt_vectors[0]))
#define N_DEC (sizeof(decrypt_vectors) / sizeof(decrypt_vectors[0]))

struct decoded {
    uint8_t *key, *iv, *pt, *ct, *tag;
    size_t key_len, iv_len, pt_len, ct_len, tag_len;
};

static void decode(const struct gcm_vector *v, struct decoded *d)
{
    d->key = hex_decode(v->key, &d->key_len);
    d->iv = hex_decode(v->iv, &d->iv_len);
    d->pt = v->pt ? hex_decode(v->pt, &d->pt_len) : NULL;
    d->ct = hex_decode(v->ct, &d->ct_len);
    d->tag = hex_decode(v->tag, &d->tag_len);
    ck_assert_uint_eq(d->key_len, PAYLOAD_KEY_LEN);
    ck_assert_uint_eq(d->iv_len, NONCE_LEN);
    ck_assert_uint_eq(d->tag_len, TAG_LEN);
}

static void decoded_free(struct decoded *d)
{
    free(d->key);
    free(d->iv);
    free(d->pt);
    free(d->ct);
    free(d->tag);
}

START_TEST(gcm_seal_known_answers)
{
    struct decoded d;
    uint8_t out[64 + TAG_LEN];
    EVP_CIPHER_CTX *c;

    decode(&encrypt_vectors[_i], &d);
    c = gcm_new(NULL, d.key, 1);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(gcm_seal(c, d.iv, d.pt, d.pt_len, out), 1);
    ck_assert_mem_eq(out, d.ct, d.ct_len);
    ck_assert_mem_eq(out + d.ct_len, d.tag, TAG_LEN);
    EVP_CIPHER_CTX_free(c);
    decoded_free(&d);
}
END_TEST

START_TEST(gcm_open_known_answers)
{
    struct decoded d;
    uint8_t in[64 + TAG_LEN], out[64], zeros[64] = {0};
    EVP_CIPHER_CTX *c;

    decode(&decrypt_vectors[_i], &d);
    memcpy(in, d.ct, d.ct_len);
    memcpy(in + d.ct_len, d.tag, TAG_LEN);
    memset(out, 0xee, sizeof(out));
    c = gcm_new(NULL, d.key, 0);
    ck_assert_ptr_nonnull(c);
    if (d.pt) {
        ck_assert_int_eq(gcm_open(c, d.iv, in, d.ct_len + TAG_LEN, out), 1);
        ck_assert_uint_eq(d.pt_len, d.ct_len);
        ck_assert_mem_eq(out, d.pt, d.pt_len);
    } else {
        ck_assert_int_eq(gcm_open(c, d.iv, in, d.ct_len + TAG_LEN, out), 0);
        /* what was decrypted before the tag check is wiped */
        if (d.ct_len)
            ck_assert_mem_eq(out, zeros, d.ct_len);
    }
    EVP_CIPHER_CTX_free(c);
    decoded_free(&d);
}
END_TEST

/* A seal the KAT says is right fails to open once any bit of it changes. */
START_TEST(gcm_open_rejects_each_flipped_bit)
{
    struct decoded d;
    uint8_t sealed[16 + TAG_LEN], out[16];
    EVP_CIPHER_CTX *c;

    decode(&encrypt_vectors[2], &d);
    memcpy(sealed, d.ct, 16);
    memcpy(sealed + 16, d.tag, TAG_LEN);
    c = gcm_new(NULL, d.key, 0);
    ck_assert_int_eq(gcm_open(c, d.iv, sealed, sizeof(sealed), out), 1);
    for (size_t bit = 0; bit < 8 * sizeof(sealed); bit++) {
        sealed[bit / 8] ^= (uint8_t)(1 << bit % 8);
        ck_assert_msg(gcm_open(c, d.iv, sealed, sizeof(sealed), out) == 0, "bit %zu", bit);
        sealed[bit / 8] ^= (uint8_t)(1 << bit % 8);
    }
    for (size_t bit = 0; bit < 8 * NONCE_LEN; bit++) {
        d.iv[bit / 8] ^= (uint8_t)(1 << bit % 8);
        ck_assert_msg(gcm_open(c, d.iv, sealed, sizeof(sealed), out) == 0, "nonce bit %zu",
                      bit);
        d.iv[bit / 8] ^= (uint8_t)(1 << bit % 8);
    }
    EVP_CIPHER_CTX_free(c);
    decoded_free(&d);
}
END_TEST

/* ----------------------------------------------------------------- nonce */

START_TEST(nonce_layout)
{
    uint8_t n[NONCE_LEN];

    stream_nonce(0, 0, n);
    ck_assert_mem_eq(n, "\0\0\0\0\0\0\0\0\0\0\0\0", NONCE_LEN);
    stream_nonce(0, 1, n);
    ck_assert_mem_eq(n, "\0\0\0\0\0\0\0\0\0\0\0\x01", NONCE_LEN);
    stream_nonce(1, 0, n);
    ck_assert_mem_eq(n, "\0\0\0\0\0\0\0\0\0\0\x01\0", NONCE_LEN);
    stream_nonce(0x0102030405060708ull, 1, n);
    ck_assert_mem_eq(n, "\0\0\0\x01\x02\x03\x04\x05\x06\x07\x08\x01", NONCE_LEN);
    stream_nonce(UINT64_MAX, 0, n);
    ck_assert_mem_eq(n, "\0\0\0\xff\xff\xff\xff\xff\xff\xff\xff\0", NONCE_LEN);
    stream_nonce(256, 7, n); /* any non-zero flag is 01 */
    ck_assert_mem_eq(n, "\0\0\0\0\0\0\0\0\0\x01\0\x01", NONCE_LEN);
}
END_TEST

/* ------------------------------------------------------- encoder, decoder */

static const uint8_t test_key[PAYLOAD_KEY_LEN] = {
    0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f,
    0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f,
};

/* The payload for n plaintext bytes, fed to the encoder piece bytes at a time. */
static uint8_t *seal_stream(const uint8_t *pt, size_t n, size_t piece, size_t *len)
{
    struct stream_enc s;
    struct bytes out = {0};

    ck_assert_rc(stream_enc_init(NULL, &s, test_key, bytes_write, &out), ENVELOPE_OK);
    for (size_t done = 0; done < n; done += piece)
        ck_assert_rc(stream_enc_update(NULL, &s, pt + done, n - done < piece ? n - done : piece),
                     ENVELOPE_OK);
    ck_assert_rc(stream_enc_finish(NULL, &s), ENVELOPE_OK);
    ck_assert_uint_eq(s.written, out.len);
    stream_enc_free(&s);
    return bytes_steal(&out, len);
}

/* Decodes a payload; returns the first error or OK, with the plaintext of
 * the chunks that authenticated in *plain and their count in *chunks. */
static envelope_rc open_stream(const uint8_t *ct, size_t len, struct bytes *plain, int *chunks)
{
    struct mem_reader r = {ct, len};
    struct stream_dec s;
    const uint8_t *p;
    size_t n;
    int final = 0, last_final = 0;
    envelope_rc rc;

    *chunks = 0;
    ck_assert_rc(stream_dec_init(NULL, &s, test_key, mem_read, &r), ENVELOPE_OK);
    for (;;) {
        rc = stream_dec_next(NULL, &s, &p, &n, &final);
        if (rc != ENVELOPE_OK) {
            ck_assert_ptr_null(p);
            ck_assert_uint_eq(n, 0);
            break;
        }
        if (n == 0) {
            ck_assert_msg(last_final, "an empty read before the final chunk");
            break;
        }
        ck_assert_msg(!last_final, "a chunk after the final one");
        ck_assert_int_eq(bytes_append(plain, p, n), 0);
        ++*chunks;
        last_final = final;
    }
    stream_dec_free(&s);
    return rc;
}

static size_t sealed_len(size_t n)
{
    return n + TAG_LEN * ((n + CHUNK_SIZE - 1) / CHUNK_SIZE);
}

static const size_t sizes[] = {1, 65535, 65536, 65537, 3 * 65536};

/* Every size round trips; how the encoder is fed does not change a byte. */
START_TEST(round_trip_sizes)
{
    size_t n = sizes[_i], len, len2;
    uint8_t *pt = pattern(n, (unsigned)n);
    uint8_t *ct = seal_stream(pt, n, n, &len);
    struct bytes plain = {0};
    int chunks;

    ck_assert_uint_eq(len, sealed_len(n));
    ck_assert_rc(open_stream(ct, len, &plain, &chunks), ENVELOPE_OK);
    ck_assert_int_eq(chunks, (int)((n + CHUNK_SIZE - 1) / CHUNK_SIZE));
    ck_assert_uint_eq(plain.len, n);
    ck_assert_mem_eq(plain.p, pt, n);
    /* byte-by-byte feeding is slow under valgrind: from 73 there */
    for (size_t piece = test_slow() ? 1 : 73; piece <= CHUNK_SIZE + 1; piece = piece * 7 + 3) {
        uint8_t *ct2 = seal_stream(pt, n, piece, &len2);

        ck_assert_uint_eq(len2, len);
        ck_assert_msg(memcmp(ct2, ct, len) == 0, "fed %zu at a time, another payload", piece);
        free(ct2);
    }
    bytes_free(&plain);
    free(ct);
    free(pt);
}
END_TEST

/* The STREAM construction computed independently: python3-cryptography's
 * AESGCM with key 40..5f, plaintext byte i = i*31 mod 256 for 65636 bytes,
 * chunk i sealed under nonce I2OSP(i, 11) || final; SHA-256 of the result:
 *   python3 -c '...AESGCM(key).encrypt(i.to_bytes(11,"big")+bytes([f]), c, None)...' */
START_TEST(stream_known_answer)
{
    size_t n = CHUNK_SIZE + 100, len;
    uint8_t *pt = malloc(n), *ct;
    char hex[65];

    for (size_t i = 0; i < n; i++)
        pt[i] = (uint8_t)(i * 31);
    ct = seal_stream(pt, n, 4096, &len);
    ck_assert_uint_eq(len, 65668);
    sha256_hex(ct, len, hex);
    ck_assert_str_eq(hex, "9f628b5392427fb634541e965e88bf948e56c7731cdf0616eb96fa255c406a7a");
    free(ct);
    free(pt);
}
END_TEST

START_TEST(encoder_refuses_empty_final)
{
    struct stream_enc s;
    struct bytes out = {0};

    ck_assert_rc(stream_enc_init(NULL, &s, test_key, bytes_write, &out), ENVELOPE_OK);
    ck_assert_rc(stream_enc_finish(NULL, &s), ENVELOPE_E_INTERNAL);
    ck_assert_uint_eq(out.len, 0);
    stream_enc_free(&s);
    bytes_free(&out);
}
END_TEST

/* A sink that fails: the encoder says IO. */
static int failing_write(void *arg, const uint8_t *p, size_t n)
{
    (void)arg;
    (void)p;
    (void)n;
    return -1;
}

static ssize_t failing_read(void *arg, uint8_t *p, size_t n)
{
    (void)arg;
    (void)p;
    (void)n;
    return -1;
}

START_TEST(io_errors)
{
    struct stream_enc e;
    struct stream_dec d;
    uint8_t *pt = pattern(100, 1);
    const uint8_t *p;
    size_t n;
    int final;

    ck_assert_rc(stream_enc_init(NULL, &e, test_key, failing_write, NULL), ENVELOPE_OK);
    ck_assert_rc(stream_enc_update(NULL, &e, pt, 100), ENVELOPE_OK);
    ck_assert_rc(stream_enc_finish(NULL, &e), ENVELOPE_E_IO);
    stream_enc_free(&e);
    ck_assert_rc(stream_dec_init(NULL, &d, test_key, failing_read, NULL), ENVELOPE_OK);
    ck_assert_rc(stream_dec_next(NULL, &d, &p, &n, &final), ENVELOPE_E_IO);
    stream_dec_free(&d);
    free(pt);
}
END_TEST

/* Two full chunks then 1000 bytes: chunk k starts at k * SEALED. */
#define D_PLAIN (2 * CHUNK_SIZE + 1000)

static uint8_t *three_chunks(size_t *len)
{
    uint8_t *pt = pattern(D_PLAIN, 3);
    uint8_t *ct = seal_stream(pt, D_PLAIN, D_PLAIN, len);

    free(pt);
    ck_assert_uint_eq(*len, 2 * SEALED + 1000 + TAG_LEN);
    return ct;
}

static void assert_stream(const uint8_t *ct, size_t len, envelope_rc want, int want_chunks,
                          const char *what)
{
    struct bytes plain = {0};
    int chunks;
    envelope_rc rc = open_stream(ct, len, &plain, &chunks);

    ck_assert_msg(rc == want, "%s: got %s, want %s", what, envelope_rc_name(rc),
                  envelope_rc_name(want));
    ck_assert_msg(chunks == want_chunks, "%s: %d chunks before the error, want %d", what,
                  chunks, want_chunks);
    /* nothing of a chunk that failed was handed out */
    if (want != ENVELOPE_OK)
        ck_assert_uint_eq(plain.len, (size_t)want_chunks * CHUNK_SIZE);
    bytes_free(&plain);
}

/* FORMAT.md, "Payload: STREAM": the input ends before a final chunk authenticates.
 * The last piece is TRUNCATED when it is empty, too short for a tag, or
 * opens as a non-final chunk; a piece cut inside a chunk authenticates
 * under neither flag, which the format calls tampering. */
START_TEST(truncation_classes)
{
    size_t len;
    uint8_t *ct = three_chunks(&len);

    assert_stream(ct, 0, ENVELOPE_E_TRUNCATED, 0, "empty payload");
    for (int k = 0; k < 3; k++) {
        size_t start = (size_t)k * SEALED;
        char what[64];

        for (size_t cut = 1; cut <= TAG_LEN; cut++) {
            snprintf(what, sizeof(what), "chunk %d cut at %zu", k, cut);
            assert_stream(ct, start + cut, ENVELOPE_E_TRUNCATED, k, what);
        }
        snprintf(what, sizeof(what), "chunk %d cut after its tag", k);
        assert_stream(ct, start + TAG_LEN + 1, ENVELOPE_E_TAMPERED, k, what);
        snprintf(what, sizeof(what), "chunk %d cut in the middle", k);
        assert_stream(ct, start + 500, ENVELOPE_E_TAMPERED, k, what);
        if (k < 2) {
            snprintf(what, sizeof(what), "chunk %d cut one byte short", k);
            assert_stream(ct, start + SEALED - 1, ENVELOPE_E_TAMPERED, k, what);
            /* ends exactly after a non-final chunk: the dropped rest */
            snprintf(what, sizeof(what), "stream ends after chunk %d", k);
            assert_stream(ct, start + SEALED, ENVELOPE_E_TRUNCATED, k, what);
        }
    }
    assert_stream(ct, len - 1, ENVELOPE_E_TAMPERED, 2, "final chunk one byte short");
    assert_stream(ct, len, ENVELOPE_OK, 3, "whole");
    free(ct);
}
END_TEST

static uint8_t *splice(const uint8_t *ct, const size_t *starts, const size_t *lens, size_t n,
                       size_t *out_len)
{
    struct bytes b = {0};

    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(bytes_append(&b, ct + starts[i], lens[i]), 0);
    return bytes_steal(&b, out_len);
}

START_TEST(reordered_duplicated_dropped)
{
    size_t len, out_len, last = 1000 + TAG_LEN;
    uint8_t *ct = three_chunks(&len), *p;

    {   /* chunks 1, 0, 2 */
        size_t s[] = {SEALED, 0, 2 * SEALED}, l[] = {SEALED, SEALED, last};
        p = splice(ct, s, l, 3, &out_len);
        assert_stream(p, out_len, ENVELOPE_E_TAMPERED, 0, "swapped");
        free(p);
    }
    {   /* chunks 0, 0, 1, 2 */
        size_t s[] = {0, 0, SEALED, 2 * SEALED}, l[] = {SEALED, SEALED, SEALED, last};
        p = splice(ct, s, l, 4, &out_len);
        assert_stream(p, out_len, ENVELOPE_E_TAMPERED, 1, "duplicated");
        free(p);
    }
    {   /* chunks 0, 2: the middle one dropped */
        size_t s[] = {0, 2 * SEALED}, l[] = {SEALED, last};
        p = splice(ct, s, l, 2, &out_len);
        assert_stream(p, out_len, ENVELOPE_E_TAMPERED, 1, "middle dropped");
        free(p);
    }
    {   /* chunks 0, 1: the final one dropped */
        size_t s[] = {0}, l[] = {2 * SEALED};
        p = splice(ct, s, l, 1, &out_len);
        assert_stream(p, out_len, ENVELOPE_E_TRUNCATED, 1, "final dropped");
        free(p);
    }
    {   /* chunks 0, 1, 2, 2: the final one twice */
        size_t s[] = {0, 2 * SEALED}, l[] = {len, last};
        p = splice(ct, s, l, 2, &out_len);
        assert_stream(p, out_len, ENVELOPE_E_TAMPERED, 2, "final duplicated");
        free(p);
    }
    free(ct);
}
END_TEST

/* Data after a final chunk that is a whole chunk shows as TRAILING_DATA: a
 * full read with more behind opens as final. After a shorter final chunk
 * the reader cannot tell where the chunk ends, so the last piece fails to
 * authenticate: TAMPERED (FORMAT.md, "Payload: STREAM"). */
START_TEST(appended_data)
{
    size_t n = 3 * CHUNK_SIZE, len, out_len;
    uint8_t *pt = pattern(n, 9), *ct = seal_stream(pt, n, n, &len), *p;

    ck_assert_uint_eq(len, 3 * SEALED);
    {
        size_t s[] = {0, 0}, l[] = {len, 1};
        p = splice(ct, s, l, 2, &out_len);
        assert_stream(p, out_len, ENVELOPE_E_TRAILING_DATA, 2, "one byte after the final");
        free(p);
    }
    {   /* the final chunk twice */
        size_t s[] = {0, 2 * SEALED}, l[] = {len, SEALED};
        p = splice(ct, s, l, 2, &out_len);
        assert_stream(p, out_len, ENVELOPE_E_TRAILING_DATA, 2, "final chunk repeated");
        free(p);
    }
    {   /* a whole stream after the stream */
        size_t s[] = {0, 0}, l[] = {len, len};
        p = splice(ct, s, l, 2, &out_len);
        assert_stream(p, out_len, ENVELOPE_E_TRAILING_DATA, 2, "stream twice");
        free(p);
    }
    free(ct);
    ct = three_chunks(&len);
    {
        size_t s[] = {0, 0}, l[] = {len, 1};
        p = splice(ct, s, l, 2, &out_len);
        assert_stream(p, out_len, ENVELOPE_E_TAMPERED, 2, "a byte after a short final");
        free(p);
    }
    free(ct);
    free(pt);
}
END_TEST

START_TEST(flipped_bytes)
{
    size_t len;
    uint8_t *ct = three_chunks(&len);
    const size_t where[] = {0, 100, SEALED - 1, SEALED, SEALED + CHUNK_SIZE, 2 * SEALED,
                            len - TAG_LEN - 1, len - TAG_LEN, len - 1};

    for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
        char what[64];

        ct[where[i]] ^= 0x20;
        snprintf(what, sizeof(what), "byte %zu flipped", where[i]);
        assert_stream(ct, len, ENVELOPE_E_TAMPERED, (int)(where[i] / SEALED), what);
        ct[where[i]] ^= 0x20;
    }
    assert_stream(ct, len, ENVELOPE_OK, 3, "restored");
    free(ct);
}
END_TEST

/* Only the first `touched` bytes of the plaintext buffers are wiped: no
 * plaintext may lie past them. The buffers are marked before use; past
 * `touched` the mark must remain, after a chunk that opens, one that fails
 * its tag (written, then wiped), and one that opens only with the other
 * final flag. */
static void assert_untouched_past(const uint8_t *buf, size_t touched, const char *what)
{
    for (size_t i = touched; i < CHUNK_SIZE; i++)
        ck_assert_msg(buf[i] == 0xa5, "%s: byte %zu of the buffer written, touched %zu", what,
                      i, touched);
}

static size_t decode_marked(const uint8_t *ct, size_t len, envelope_rc want, const char *what)
{
    struct mem_reader r = {ct, len};
    struct stream_dec s;
    const uint8_t *p;
    size_t n, touched;
    int final = 0;
    envelope_rc rc;

    ck_assert_rc(stream_dec_init(NULL, &s, test_key, mem_read, &r), ENVELOPE_OK);
    memset(s.plain, 0xa5, CHUNK_SIZE);
    while ((rc = stream_dec_next(NULL, &s, &p, &n, &final)) == ENVELOPE_OK && n > 0)
        ;
    ck_assert_msg(rc == want, "%s: rc %d, want %d", what, (int)rc, (int)want);
    assert_untouched_past(s.plain, s.touched, what);
    touched = s.touched;
    stream_dec_free(&s);
    return touched;
}

START_TEST(wiped_span_covers_plaintext)
{
    uint8_t *pt = pattern(CHUNK_SIZE + 1, 5);
    struct bytes out = {0};
    struct stream_enc e;
    uint8_t *ct;
    size_t len;

    ck_assert_rc(stream_enc_init(NULL, &e, test_key, bytes_write, &out), ENVELOPE_OK);
    memset(e.chunk, 0xa5, CHUNK_SIZE);
    ck_assert_rc(stream_enc_update(NULL, &e, pt, 10), ENVELOPE_OK);
    ck_assert_rc(stream_enc_update(NULL, &e, pt + 10, 90), ENVELOPE_OK);
    assert_untouched_past(e.chunk, e.touched, "encoder, 100 bytes");
    ck_assert_uint_eq(e.touched, 100);
    stream_enc_free(&e);
    bytes_free(&out);

    ct = seal_stream(pt, 100, 100, &len);
    ck_assert_uint_eq(decode_marked(ct, len, ENVELOPE_OK, "opens"), 100);
    ct[len - 1] ^= 1; /* the tag fails: the plaintext was written, then wiped */
    ck_assert_uint_eq(decode_marked(ct, len, ENVELOPE_E_TAMPERED, "tag fails"), 100);
    free(ct);
    /* two chunks cut after the first: it opens only as a final chunk */
    ct = seal_stream(pt, CHUNK_SIZE + 1, CHUNK_SIZE + 1, &len);
    ck_assert_uint_eq(decode_marked(ct, SEALED, ENVELOPE_E_TRUNCATED, "cut"), CHUNK_SIZE);
    ck_assert_uint_eq(decode_marked(ct, len, ENVELOPE_OK, "two chunks"), CHUNK_SIZE);
    free(ct);
    free(pt);
}
END_TEST

/* After the final chunk the decoder hands out nothing more. */
START_TEST(decoder_done_stays_done)
{
    uint8_t *pt = pattern(10, 2);
    size_t len;
    uint8_t *ct = seal_stream(pt, 10, 10, &len);
    struct mem_reader r = {ct, len};
    struct stream_dec s;
    const uint8_t *p;
    size_t n;
    int final;

    ck_assert_rc(stream_dec_init(NULL, &s, test_key, mem_read, &r), ENVELOPE_OK);
    ck_assert_rc(stream_dec_next(NULL, &s, &p, &n, &final), ENVELOPE_OK);
    ck_assert_uint_eq(n, 10);
    ck_assert_int_eq(final, 1);
    ck_assert_mem_eq(p, pt, 10);
    for (int i = 0; i < 2; i++) {
        ck_assert_rc(stream_dec_next(NULL, &s, &p, &n, &final), ENVELOPE_OK);
        ck_assert_uint_eq(n, 0);
        ck_assert_ptr_null(p);
        ck_assert_int_eq(final, 0);
    }
    stream_dec_free(&s);
    free(ct);
    free(pt);
}
END_TEST

/* --------------------------------------------------------- payload key */

/* Made with /usr/bin/python3 (python3-cryptography 38):
 *   data_key = bytes(range(32))
 *   header = bytes((i*7+3) & 0xff for i in range(300))
 *   HKDF(algorithm=SHA256(), length=32, salt=hashlib.sha256(header).digest(),
 *        info=b"libenvelope/1 payload").derive(data_key).hex()
 * and again with the last header byte's low bit flipped. */
#define HKDF_WANT "5be49b6939f41bec195f0aae64952a5a5970ea4c8971b5c22c0f2bd72143170a"
#define HKDF_WANT_FLIPPED "cc06e94c7189cb9103868640d1e30e13fd58cd338ef3151c0b350e2f67b16197"

START_TEST(payload_key_known_answer)
{
    uint8_t data_key[32], header[300], out[PAYLOAD_KEY_LEN];
    uint8_t *want, *want_flipped;
    size_t n;

    for (int i = 0; i < 32; i++)
        data_key[i] = (uint8_t)i;
    for (int i = 0; i < 300; i++)
        header[i] = (uint8_t)(i * 7 + 3);
    want = hex_decode(HKDF_WANT, &n);
    want_flipped = hex_decode(HKDF_WANT_FLIPPED, &n);
    ck_assert_str_eq(PAYLOAD_INFO, "libenvelope/1 payload");
    ck_assert_rc(payload_key_derive(NULL, data_key, 32, header, 300, out), ENVELOPE_OK);
    ck_assert_mem_eq(out, want, PAYLOAD_KEY_LEN);
    header[299] ^= 1;
    ck_assert_rc(payload_key_derive(NULL, data_key, 32, header, 300, out), ENVELOPE_OK);
    ck_assert_mem_eq(out, want_flipped, PAYLOAD_KEY_LEN);
    free(want);
    free(want_flipped);
}
END_TEST

static Suite *stream_suite(void)
{
    Suite *s = suite_create("stream");
    TCase *kat = tcase_create("known answers"), *codec = tcase_create("STREAM");

    tcase_add_loop_test(kat, gcm_seal_known_answers, 0, N_ENC);
    tcase_add_loop_test(kat, gcm_open_known_answers, 0, N_DEC);
    tcase_add_test(kat, gcm_open_rejects_each_flipped_bit);
    tcase_add_test(kat, nonce_layout);
    tcase_add_test(kat, stream_known_answer);
    tcase_add_test(kat, payload_key_known_answer);
    tcase_add_loop_test(codec, round_trip_sizes, 0,
                        sizeof(sizes) / sizeof(sizes[0]));
    tcase_add_test(codec, encoder_refuses_empty_final);
    tcase_add_test(codec, io_errors);
    tcase_add_test(codec, truncation_classes);
    tcase_add_test(codec, reordered_duplicated_dropped);
    tcase_add_test(codec, appended_data);
    tcase_add_test(codec, flipped_bytes);
    tcase_add_test(codec, decoder_done_stays_done);
    tcase_add_test(codec, wiped_span_covers_plaintext);
    tcase_set_timeout(codec, 60);
    suite_add_tcase(s, kat);
    suite_add_tcase(s, codec);
    return s;
}

int main(void)
{
    return run_suite(stream_suite()) ? 1 : 0;
}
