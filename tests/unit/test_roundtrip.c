/* Whole envelopes through the public API: sizes around the chunk size
 * (of the message and of the payload), recipients, hidden labels, every
 * seal and open flavour, and what the result reports. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "testutil.h"

#define CHUNK 65536
#define SEALED_CHUNK (CHUNK + 16)
#define FP_SIGNER "sha256:a96290fbee4e901d1c818167b3870e845d74d5522d8055692ca6a2840f8165ba"
#define FP_ALICE "sha256:a1f8a346d3292f918ae0985f8b23a16726b3e1a538af86a91f1b86738e676a28"

static envelope_ctx *ctx;
static envelope_key *alice, *bob, *carol;

static void setup(void)
{
    ctx = new_ctx();
    alice = load_test_key(ctx, "alice.pem");
    bob = load_test_key(ctx, "bob.pem");
    carol = load_test_key(ctx, "carol.pem");
}

static void teardown(void)
{
    envelope_key_free(alice);
    envelope_key_free(bob);
    envelope_key_free(carol);
    envelope_ctx_free(ctx);
}

static size_t header_len(const uint8_t *env)
{
    return (size_t)env[12] << 24 | (size_t)env[13] << 16 | (size_t)env[14] << 8 | env[15];
}

/* Opens env with key, checks the message and everything the result says. */
static void assert_opens(const uint8_t *env, size_t len, envelope_key *key, const uint8_t *msg,
                         size_t n, const char *name)
{
    envelope_open_opts *opts = open_opts_for(ctx, key);
    envelope_result *r = NULL;
    uint8_t *out = NULL;
    size_t out_len = 0;
    char sha[129];
    envelope_rc rc = envelope_open_mem(ctx, opts, env, len, &out, &out_len, &r);

    ck_assert_msg(rc == ENVELOPE_OK, "open: %s (%s)", envelope_rc_name(rc),
                  envelope_ctx_detail(ctx));
    ck_assert_uint_eq(out_len, n);
    ck_assert_ptr_nonnull(out);
    if (n)
        ck_assert_mem_eq(out, msg, n);
    sha512_hex(msg, n, sha);
    ck_assert_int_eq(envelope_result_format(r), ENVELOPE_FORMAT_V1);
    ck_assert_str_eq(envelope_result_name(r), name);
    ck_assert_uint_eq(envelope_result_size(r), n);
    ck_assert_str_eq(envelope_result_sha512(r), sha);
    ck_assert_str_eq(envelope_result_signer(r), FP_SIGNER);
    ck_assert_int_eq(envelope_result_created(r), TEST_CREATED);
    envelope_result_free(r);
    envelope_free_secret(out, out_len);
    envelope_open_opts_free(opts);
}

static void round_trip(size_t n, unsigned seed)
{
    uint8_t *msg = pattern(n, seed), *env;
    size_t len;

    env = seal_to_alice(ctx, msg, n, &len);
    assert_opens(env, len, alice, msg, n, "message");
    free(env);
    free(msg);
}

/* ------------------------------------------------------------------ sizes */

static const size_t sizes[] = {0, 1, 2, 511, 512, 513, CHUNK - 1, CHUNK, CHUNK + 1,
                               3 * CHUNK - 1, 3 * CHUNK, 3 * CHUNK + 1, 1000003};

START_TEST(message_sizes)
{
    if (sizes[_i] > 1000000 && !test_slow())
        return; /* ENVELOPE_TEST_SLOW=0: valgrind */
    round_trip(sizes[_i], (unsigned)_i);
}
END_TEST

START_TEST(five_megabytes)
{
    if (!test_slow())
        return; /* ENVELOPE_TEST_SLOW=0 */
    round_trip(5 * 1024 * 1024 + 7, 77);
}
END_TEST

START_TEST(every_byte_value)
{
    uint8_t msg[256 * 4];
    size_t len;
    uint8_t *env;

    for (size_t i = 0; i < sizeof(msg); i++)
        msg[i] = (uint8_t)(i < 256 ? i : 255 - i % 256);
    env = seal_to_alice(ctx, msg, sizeof(msg), &len);
    assert_opens(env, len, alice, msg, sizeof(msg), "message");
    free(env);
}
END_TEST

/* The archive adds its headers: here the sizes are chosen so that the
 * payload, not the message, lands on chunk boundaries. For a message of m
 * bytes the archive is overhead + m rounded up to 512; overhead is learnt
 * from a 1-byte message. */
START_TEST(payload_at_chunk_boundaries)
{
    uint8_t one = 'x', *env;
    size_t len, overhead;

    env = seal_to_alice(ctx, &one, 1, &len);
    overhead = len - header_len(env) - 16 - 512;
    free(env);
    for (int chunks = 1; chunks <= 2; chunks++) {
        size_t m = (size_t)chunks * CHUNK - overhead; /* a whole number of blocks */
        const size_t deltas[] = {m - 1, m, m + 1};

        ck_assert_uint_eq(m % 512, 0);
        for (size_t i = 0; i < 3; i++) {
            uint8_t *msg = pattern(deltas[i], (unsigned)i);
            size_t payload, want;

            env = seal_to_alice(ctx, msg, deltas[i], &len);
            payload = len - header_len(env);
            /* m - 1 and m fill the chunks exactly; m + 1 needs 512 more */
            want = i < 2 ? (size_t)chunks * SEALED_CHUNK
                         : (size_t)chunks * SEALED_CHUNK + 512 + 16;
            ck_assert_msg(payload == want, "message %zu: payload %zu, want %zu", deltas[i],
                          payload, want);
            assert_opens(env, len, alice, msg, deltas[i], "message");
            free(env);
            free(msg);
        }
    }
}
END_TEST

/* ------------------------------------------------------------ recipients */

static uint8_t *seal_to(envelope_key **keys, size_t n, int hide, const uint8_t *msg,
                        size_t msg_len, size_t *len)
{
    envelope_seal_opts *opts = seal_opts_for(ctx, keys, n, TEST_CREATED);
    uint8_t *env = NULL;

    ck_assert_rc(envelope_seal_opts_set_hide_recipients(opts, hide), ENVELOPE_OK);
    ck_assert_rc(envelope_seal_mem(ctx, opts, msg, msg_len, &env, len), ENVELOPE_OK);
    envelope_seal_opts_free(opts);
    return env;
}

static void assert_labels(const uint8_t *env, size_t len, envelope_key **keys, size_t n,
                          int hidden)
{
    int fd = mem_fd(env, len);
    envelope_info *info = NULL;

    ck_assert_rc(envelope_inspect_fd(ctx, fd, &info), ENVELOPE_OK);
    ck_assert_uint_eq(envelope_info_recipient_count(info), n);
    for (size_t i = 0; i < n; i++) {
        char fp[ENVELOPE_FINGERPRINT_SIZE];

        ck_assert_rc(envelope_key_fingerprint(ctx, keys[i], fp), ENVELOPE_OK);
        ck_assert_str_eq(envelope_info_recipient_label(info, i), hidden ? "" : fp);
        ck_assert_uint_eq(envelope_info_recipient_bits(info, i), envelope_key_bits(keys[i]));
    }
    envelope_info_free(info);
    close(fd);
}

/* The manifest names the recipients, hidden or not. */
static void assert_result_recipients(const uint8_t *env, size_t len, envelope_key *opener,
                                     envelope_key **keys, size_t n)
{
    envelope_open_opts *opts = open_opts_for(ctx, opener);
    envelope_result *r = NULL;
    uint8_t *out;
    size_t out_len;

    ck_assert_rc(envelope_open_mem(ctx, opts, env, len, &out, &out_len, &r), ENVELOPE_OK);
    ck_assert_uint_eq(envelope_result_recipient_count(r), n);
    for (size_t i = 0; i < n; i++) {
        char fp[ENVELOPE_FINGERPRINT_SIZE];

        ck_assert_rc(envelope_key_fingerprint(ctx, keys[i], fp), ENVELOPE_OK);
        ck_assert_str_eq(envelope_result_recipient(r, i), fp);
    }
    ck_assert_ptr_null(envelope_result_recipient(r, n));
    ck_assert_str_eq(envelope_result_signer_hint(r), FP_SIGNER);
    envelope_result_free(r);
    envelope_free_secret(out, out_len);
    envelope_open_opts_free(opts);
}

START_TEST(several_recipients)
{
    static const uint8_t msg[] = "to alice, bob and carol";
    envelope_key *keys[] = {alice, bob, carol};
    int hide = _i;
    size_t len;
    uint8_t *env = seal_to(keys, 3, hide, msg, sizeof(msg), &len);
    envelope_key *dave_priv = load_test_key(ctx, "dave.pem");
    envelope_open_opts *opts = open_opts_for(ctx, dave_priv);
    char scratch_what[32];
    char *scratch = make_temp_dir();

    assert_labels(env, len, keys, 3, hide);
    for (size_t i = 0; i < 3; i++)
        assert_opens(env, len, keys[i], msg, sizeof(msg), "message");
    assert_result_recipients(env, len, bob, keys, 3);
    snprintf(scratch_what, sizeof(scratch_what), "dave, hide=%d", hide);
    assert_open_fails(ctx, opts, env, len, ENVELOPE_E_NOT_RECIPIENT, scratch, 1, scratch_what);
    rm_tree(scratch);
    free(scratch);
    envelope_open_opts_free(opts);
    envelope_key_free(dave_priv);
    free(env);
}
END_TEST

/* 16 stanzas, the most there can be, the last of them alice's. */
START_TEST(sixteen_recipients)
{
    static const uint8_t msg[] = "sixteen";
    envelope_key *keys[16];
    size_t len;
    uint8_t *env;

    for (int i = 0; i < 15; i++)
        keys[i] = i % 2 ? bob : carol;
    keys[15] = alice;
    env = seal_to(keys, 16, _i, msg, sizeof(msg), &len);
    assert_labels(env, len, keys, 16, _i);
    assert_opens(env, len, alice, msg, sizeof(msg), "message");
    free(env);
}
END_TEST

/* The first trusted key that verifies is the one reported. */
START_TEST(several_trusted_keys)
{
    static const uint8_t msg[] = "trust";
    envelope_key *other = load_test_key(ctx, "other-signer.pub");
    envelope_open_opts *opts = NULL;
    envelope_result *r = NULL;
    envelope_key *signer = load_test_key(ctx, "signer.pub");
    size_t len, out_len;
    uint8_t *env = seal_to_alice(ctx, msg, sizeof(msg), &len), *out;

    ck_assert_int_eq(envelope_open_opts_new(&opts), ENVELOPE_OK);
    ck_assert_rc(envelope_open_opts_set_decrypt_key(opts, alice), ENVELOPE_OK);
    ck_assert_rc(envelope_open_opts_add_trusted_key(opts, other), ENVELOPE_OK);
    ck_assert_rc(envelope_open_opts_add_trusted_key(opts, signer), ENVELOPE_OK);
    ck_assert_rc(envelope_open_mem(ctx, opts, env, len, &out, &out_len, &r), ENVELOPE_OK);
    ck_assert_str_eq(envelope_result_signer(r), FP_SIGNER);
    envelope_result_free(r);
    envelope_free_secret(out, out_len);
    envelope_open_opts_free(opts);
    envelope_key_free(other);
    envelope_key_free(signer);
    free(env);
}
END_TEST

/* ------------------------------------------------------------- flavours */

struct cb_state {
    const uint8_t *p;
    size_t left, chunk;
    struct bytes out;
    int writes;
};

static ssize_t cb_read(void *arg, uint8_t *buf, size_t len)
{
    struct cb_state *s = arg;
    size_t n = len < s->left ? len : s->left;

    if (n > s->chunk)
        n = s->chunk; /* short reads, as a socket gives */
    memcpy(buf, s->p, n);
    s->p += n;
    s->left -= n;
    return (ssize_t)n;
}

static int cb_write(void *arg, const uint8_t *buf, size_t len)
{
    struct cb_state *s = arg;

    s->writes++;
    return bytes_append(&s->out, buf, len);
}

#define FLAVOUR_MSG_LEN 150001
#define FLAVOUR_NAME "data.bin"

static envelope_seal_opts *flavour_opts(void)
{
    envelope_key *pub = load_test_key(ctx, "alice.pub");
    envelope_seal_opts *opts = seal_opts_for(ctx, &pub, 1, TEST_CREATED);

    ck_assert_rc(envelope_seal_opts_set_name(opts, FLAVOUR_NAME), ENVELOPE_OK);
    envelope_key_free(pub);
    return opts;
}

/* Each way of sealing gives an envelope that opens to the message. */
START_TEST(seal_flavours)
{
    uint8_t *msg = pattern(FLAVOUR_MSG_LEN, 11), *env;
    envelope_seal_opts *opts = flavour_opts();
    char *dir = make_temp_dir(), path[4096];
    size_t len;
    int in, out, pipefd[2];
    struct cb_state rd = {msg, FLAVOUR_MSG_LEN, 1000, {0}, 0}, wr = {0};

    /* memory */
    ck_assert_rc(envelope_seal_mem(ctx, opts, msg, FLAVOUR_MSG_LEN, &env, &len), ENVELOPE_OK);
    assert_opens(env, len, alice, msg, FLAVOUR_MSG_LEN, FLAVOUR_NAME);
    envelope_free(env);
    /* descriptors: a regular file in, a file out */
    in = mem_fd(msg, FLAVOUR_MSG_LEN);
    out = mem_fd(NULL, 0);
    ck_assert_rc(envelope_seal_fd(ctx, opts, in, out), ENVELOPE_OK);
    env = fd_contents(out, &len);
    assert_opens(env, len, alice, msg, FLAVOUR_MSG_LEN, FLAVOUR_NAME);
    free(env);
    close(in);
    close(out);
    /* a pipe in: spooled first */
    ck_assert_int_eq(pipe(pipefd), 0);
    ck_assert_int_eq(fcntl(pipefd[1], F_SETPIPE_SZ, 1 << 20) >= FLAVOUR_MSG_LEN, 1);
    ck_assert_int_eq(write(pipefd[1], msg, FLAVOUR_MSG_LEN), FLAVOUR_MSG_LEN);
    close(pipefd[1]);
    out = mem_fd(NULL, 0);
    ck_assert_rc(envelope_seal_fd(ctx, opts, pipefd[0], out), ENVELOPE_OK);
    env = fd_contents(out, &len);
    assert_opens(env, len, alice, msg, FLAVOUR_MSG_LEN, FLAVOUR_NAME);
    free(env);
    close(pipefd[0]);
    close(out);
    /* a file by path */
    snprintf(path, sizeof(path), "%s/sealed.env", dir);
    in = mem_fd(msg, FLAVOUR_MSG_LEN);
    ck_assert_rc(envelope_seal_file(ctx, opts, in, path, 0), ENVELOPE_OK);
    env = read_file(path, &len);
    assert_opens(env, len, alice, msg, FLAVOUR_MSG_LEN, FLAVOUR_NAME);
    ck_assert_int_eq(count_entries(dir), 1);
    free(env);
    close(in);
    /* callbacks, with short reads */
    ck_assert_rc(envelope_seal_cb(ctx, opts, FLAVOUR_MSG_LEN, cb_read, &rd, cb_write, &wr),
                 ENVELOPE_OK);
    assert_opens(wr.out.p, wr.out.len, alice, msg, FLAVOUR_MSG_LEN, FLAVOUR_NAME);
    bytes_free(&wr.out);
    envelope_seal_opts_free(opts);
    rm_tree(dir);
    free(dir);
    free(msg);
}
END_TEST

static void assert_same_result(envelope_result *a, envelope_result *b)
{
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_str_eq(envelope_result_name(a), envelope_result_name(b));
    ck_assert_uint_eq(envelope_result_size(a), envelope_result_size(b));
    ck_assert_str_eq(envelope_result_sha512(a), envelope_result_sha512(b));
    ck_assert_str_eq(envelope_result_signer(a), envelope_result_signer(b));
    ck_assert_str_eq(envelope_result_signer_hint(a), envelope_result_signer_hint(b));
    ck_assert_int_eq(envelope_result_created(a), envelope_result_created(b));
    ck_assert_uint_eq(envelope_result_recipient_count(a), envelope_result_recipient_count(b));
    ck_assert_str_eq(envelope_result_recipient(a, 0), envelope_result_recipient(b, 0));
}

/* Each way of opening gives the same message and the same result. */
START_TEST(open_flavours)
{
    uint8_t *msg = pattern(FLAVOUR_MSG_LEN, 12), *env, *out, *file;
    envelope_seal_opts *sopts = flavour_opts();
    envelope_open_opts *opts = open_opts_for(ctx, alice);
    envelope_result *ref = NULL, *r = NULL;
    char *dir = make_temp_dir(), path[4096];
    size_t len, out_len, file_len;
    int in, fd;
    struct cb_state rd = {0}, wr = {0};

    ck_assert_rc(envelope_seal_mem(ctx, sopts, msg, FLAVOUR_MSG_LEN, &env, &len), ENVELOPE_OK);
    /* memory: the reference */
    ck_assert_rc(envelope_open_mem(ctx, opts, env, len, &out, &out_len, &ref), ENVELOPE_OK);
    ck_assert_uint_eq(out_len, FLAVOUR_MSG_LEN);
    ck_assert_mem_eq(out, msg, out_len);
    envelope_free_secret(out, out_len);
    /* descriptor to descriptor */
    in = mem_fd(env, len);
    fd = mem_fd(NULL, 0);
    ck_assert_rc(envelope_open_fd(ctx, opts, in, fd, &r), ENVELOPE_OK);
    file = fd_contents(fd, &file_len);
    ck_assert_uint_eq(file_len, FLAVOUR_MSG_LEN);
    ck_assert_mem_eq(file, msg, file_len);
    assert_same_result(ref, r);
    envelope_result_free(r);
    free(file);
    close(in);
    close(fd);
    /* to a path */
    snprintf(path, sizeof(path), "%s/opened", dir);
    in = mem_fd(env, len);
    ck_assert_rc(envelope_open_file(ctx, opts, in, path, 0, &r), ENVELOPE_OK);
    file = read_file(path, &file_len);
    ck_assert_uint_eq(file_len, FLAVOUR_MSG_LEN);
    ck_assert_mem_eq(file, msg, file_len);
    assert_same_result(ref, r);
    envelope_result_free(r);
    free(file);
    close(in);
    /* extracted into a directory */
    snprintf(path, sizeof(path), "%s/extracted", dir);
    in = mem_fd(env, len);
    ck_assert_rc(envelope_open_extract(ctx, opts, in, path, &r), ENVELOPE_OK);
    snprintf(path, sizeof(path), "%s/extracted/" FLAVOUR_NAME, dir);
    file = read_file(path, &file_len);
    ck_assert_uint_eq(file_len, FLAVOUR_MSG_LEN);
    ck_assert_mem_eq(file, msg, file_len);
    assert_same_result(ref, r);
    envelope_result_free(r);
    free(file);
    close(in);
    /* callbacks, with short reads */
    rd = (struct cb_state){env, len, 777, {0}, 0};
    ck_assert_rc(envelope_open_cb(ctx, opts, cb_read, &rd, cb_write, &wr, &r), ENVELOPE_OK);
    ck_assert_uint_eq(wr.out.len, FLAVOUR_MSG_LEN);
    ck_assert_mem_eq(wr.out.p, msg, wr.out.len);
    assert_same_result(ref, r);
    envelope_result_free(r);
    bytes_free(&wr.out);
    /* result is optional */
    ck_assert_rc(envelope_open_mem(ctx, opts, env, len, &out, &out_len, NULL), ENVELOPE_OK);
    envelope_free_secret(out, out_len);

    envelope_result_free(ref);
    envelope_open_opts_free(opts);
    envelope_seal_opts_free(sopts);
    envelope_free(env);
    rm_tree(dir);
    free(dir);
    free(msg);
}
END_TEST

/* --------------------------------------------------------------- progress */

struct progress {
    uint64_t last_done, total;
    int calls, cancel_at;
};

static int on_progress(void *arg, uint64_t done, uint64_t total)
{
    struct progress *p = arg;

    ck_assert_uint_ge(done, p->last_done);
    ck_assert_uint_le(done, total);
    p->last_done = done;
    p->total = total;
    return ++p->calls == p->cancel_at;
}

START_TEST(progress_reported)
{
    /* past 1 MiB either way, so that the message is hashed on a thread */
    size_t n = (test_slow() ? 3 : 1) * 1024 * 1024 + 5, len, out_len;
    uint8_t *msg = pattern(n, 13), *env, *out;
    envelope_key *pub = load_test_key(ctx, "alice.pub");
    envelope_seal_opts *sopts = seal_opts_for(ctx, &pub, 1, TEST_CREATED);
    envelope_open_opts *oopts = open_opts_for(ctx, alice);
    struct progress sp = {0}, op = {0};

    ck_assert_rc(envelope_seal_opts_set_progress(sopts, on_progress, &sp), ENVELOPE_OK);
    ck_assert_rc(envelope_open_opts_set_progress(oopts, on_progress, &op), ENVELOPE_OK);
    ck_assert_rc(envelope_seal_mem(ctx, sopts, msg, n, &env, &len), ENVELOPE_OK);
    ck_assert_int_gt(sp.calls, 1);
    ck_assert_uint_eq(sp.last_done, n);
    ck_assert_uint_eq(sp.total, n);
    ck_assert_rc(envelope_open_mem(ctx, oopts, env, len, &out, &out_len, NULL), ENVELOPE_OK);
    ck_assert_int_gt(op.calls, 1);
    ck_assert_uint_eq(op.last_done, n);
    ck_assert_uint_eq(op.total, n);
    ck_assert_uint_eq(out_len, n);
    envelope_free_secret(out, out_len);
    envelope_free(env);
    envelope_open_opts_free(oopts);
    envelope_seal_opts_free(sopts);
    envelope_key_free(pub);
    free(msg);
}
END_TEST

static Suite *roundtrip_suite(void)
{
    Suite *s = suite_create("roundtrip");
    TCase *sz = tcase_create("sizes"), *rc = tcase_create("recipients"),
          *fl = tcase_create("flavours");

    tcase_add_checked_fixture(sz, setup, teardown);
    tcase_add_checked_fixture(rc, setup, teardown);
    tcase_add_checked_fixture(fl, setup, teardown);
    tcase_add_loop_test(sz, message_sizes, 0, sizeof(sizes) / sizeof(sizes[0]));
    tcase_add_test(sz, five_megabytes);
    tcase_add_test(sz, every_byte_value);
    tcase_add_test(sz, payload_at_chunk_boundaries);
    tcase_add_loop_test(rc, several_recipients, 0, 2);
    tcase_add_loop_test(rc, sixteen_recipients, 0, 2);
    tcase_add_test(rc, several_trusted_keys);
    tcase_add_test(fl, seal_flavours);
    tcase_add_test(fl, open_flavours);
    tcase_add_test(fl, progress_reported);
    tcase_set_timeout(sz, 120);
    tcase_set_timeout(rc, 60);
    tcase_set_timeout(fl, 60);
    suite_add_tcase(s, sz);
    suite_add_tcase(s, rc);
    suite_add_tcase(s, fl);
    return s;
}

int main(void)
{
    return run_suite(roundtrip_suite()) ? 1 : 0;
}
