/* The test vectors of tests/vectors/ through the C library. Every line of
 * index.tsv is opened three ways, into a file (envelope_open_file), onto a
 * descriptor (envelope_open_fd) and into memory (envelope_open_mem), and
 * must give exactly the index's result: the message and its name, or the
 * named error with no output and no temporary file left behind. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#define VECTORS "tests/vectors/"
#define INDEX VECTORS "index.tsv"

enum { F_FILE, F_DECRYPT, F_TRUSTED, F_OPTIONS, F_EXPECT, F_MESSAGE, F_NAME, F_SHA512, NFIELDS };

struct vector {
    char *field[NFIELDS];
    int line;
};

static struct vector *vectors;
static size_t n_vectors;
static char *index_text;
/* A directory of our own, holding the library's $TMPDIR (where
 * envelope_open_fd spools), which must stay empty, and one directory per
 * vector for the outputs. */
static char *root_dir, *spool_dir;

static char *vector_path(const char *name)
{
    char *path;

    ck_assert_int_ge(asprintf(&path, VECTORS "%s", name), 0);
    return path;
}

/* The index as a string. Runs before the suite, where Check's assertions
 * (and so testutil's read_file) cannot be used. */
static char *read_index(void)
{
    FILE *f = fopen(INDEX, "rb");
    char *text = NULL;
    long len;

    if (f != NULL && fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) > 0 &&
        fseek(f, 0, SEEK_SET) == 0 && (text = malloc((size_t)len + 1)) != NULL) {
        if (fread(text, 1, (size_t)len, f) == (size_t)len) {
            text[len] = '\0';
        } else {
            free(text);
            text = NULL;
        }
    }
    if (f != NULL)
        fclose(f);
    return text;
}

/* Splits the index into vectors; the text stays allocated for the fields. */
static int load_index(void)
{
    size_t cap = 0;
    char *line, *next;
    int lineno = 0;

    if ((index_text = read_index()) == NULL)
        return -1;
    for (line = index_text; line != NULL && *line; line = next) {
        struct vector v = {.line = ++lineno};
        char *p = line;

        if ((next = strchr(line, '\n')) != NULL)
            *next++ = '\0';
        if (*line == '#' || *line == '\0')
            continue;
        for (int f = 0; f < NFIELDS; f++) {
            v.field[f] = p;
            p = strchr(p, '\t');
            if ((p == NULL) != (f == NFIELDS - 1)) {
                fprintf(stderr, "%s:%d: want %d tab-separated fields\n", INDEX, lineno,
                        NFIELDS);
                return -1;
            }
            if (p != NULL)
                *p++ = '\0';
        }
        if (n_vectors == cap && (vectors = realloc(vectors, (cap = cap * 2 + 64) *
                                                                sizeof(*vectors))) == NULL)
            return -1;
        vectors[n_vectors++] = v;
    }
    return n_vectors > 0 ? 0 : -1;
}

static envelope_key *load_vector_key(envelope_ctx *ctx, const char *name)
{
    char *path;
    envelope_key *key = NULL;
    envelope_rc rc;

    ck_assert_int_ge(asprintf(&path, VECTORS "keys/%s", name), 0);
    rc = envelope_key_load(ctx, path, NULL, NULL, &key);
    ck_assert_msg(rc == ENVELOPE_OK, "loading %s: %s", path, envelope_rc_name(rc));
    free(path);
    return key;
}

/* Options from the index: the keys, and max_size / max_age / max_skew. */
static envelope_open_opts *vector_opts(envelope_ctx *ctx, const struct vector *v)
{
    envelope_open_opts *opts = NULL;
    envelope_key *key;
    char *list = strdup(v->field[F_TRUSTED]), *save = NULL;

    ck_assert_rc(envelope_open_opts_new(&opts), ENVELOPE_OK);
    key = load_vector_key(ctx, v->field[F_DECRYPT]);
    ck_assert_rc(envelope_open_opts_set_decrypt_key(opts, key), ENVELOPE_OK);
    envelope_key_free(key);
    for (char *t = strtok_r(list, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
        key = load_vector_key(ctx, t);
        ck_assert_rc(envelope_open_opts_add_trusted_key(opts, key), ENVELOPE_OK);
        envelope_key_free(key);
    }
    free(list);
    list = strdup(v->field[F_OPTIONS]);
    for (char *o = strtok_r(list, ",", &save); o != NULL; o = strtok_r(NULL, ",", &save)) {
        unsigned long long n;

        if (sscanf(o, "max_size=%llu", &n) == 1)
            ck_assert_rc(envelope_open_opts_set_max_size(opts, n), ENVELOPE_OK);
        else if (sscanf(o, "max_age=%llu", &n) == 1)
            ck_assert_rc(envelope_open_opts_set_max_age(opts, n), ENVELOPE_OK);
        else if (sscanf(o, "max_skew=%llu", &n) == 1)
            ck_assert_rc(envelope_open_opts_set_max_skew(opts, n), ENVELOPE_OK);
        else
            ck_assert_msg(strcmp(o, "-") == 0, "line %d: unknown option %s", v->line, o);
    }
    free(list);
    return opts;
}

struct expected {
    const struct vector *v;
    int ok;
    uint8_t *message; /* when ok */
    size_t len;
};

static void check_rc(const struct expected *want, envelope_ctx *ctx, envelope_rc rc,
                     const char *how)
{
    const struct vector *v = want->v;

    ck_assert_msg(strcmp(envelope_rc_name(rc), v->field[F_EXPECT]) == 0,
                  "%s (line %d) via %s: got %s, want %s (%s)", v->field[F_FILE], v->line, how,
                  envelope_rc_name(rc), v->field[F_EXPECT], envelope_ctx_detail(ctx));
}

static void check_result(const struct expected *want, const envelope_result *result,
                         const char *how)
{
    const struct vector *v = want->v;

    ck_assert_msg(result != NULL, "%s via %s: no result", v->field[F_FILE], how);
    ck_assert_str_eq(envelope_result_name(result), v->field[F_NAME]);
    ck_assert_str_eq(envelope_result_sha512(result), v->field[F_SHA512]);
    ck_assert_uint_eq(envelope_result_size(result), want->len);
    ck_assert_int_eq(envelope_result_format(result), ENVELOPE_FORMAT_V1);
}

static void check_bytes(const struct expected *want, const uint8_t *got, size_t len,
                        const char *how)
{
    ck_assert_msg(len == want->len && (len == 0 || memcmp(got, want->message, len) == 0),
                  "%s via %s: message differs (%zu bytes, want %zu)", want->v->field[F_FILE],
                  how, len, want->len);
}

static void open_mem(envelope_ctx *ctx, const envelope_open_opts *opts,
                     const struct expected *want, const uint8_t *env, size_t env_len)
{
    uint8_t *out = (uint8_t *)"unset";
    size_t out_len = 1;
    envelope_result *result = NULL;
    envelope_rc rc = envelope_open_mem(ctx, opts, env, env_len, &out, &out_len, &result);

    check_rc(want, ctx, rc, "envelope_open_mem");
    if (want->ok) {
        check_bytes(want, out, out_len, "envelope_open_mem");
        check_result(want, result, "envelope_open_mem");
    } else {
        ck_assert_ptr_null(out);
        ck_assert_uint_eq(out_len, 0);
        ck_assert_ptr_null(result);
    }
    envelope_free_secret(out, out_len);
    envelope_result_free(result);
}

static void open_file(envelope_ctx *ctx, const envelope_open_opts *opts,
                      const struct expected *want, const char *env_path, const char *dir)
{
    char *path;
    int in = open(env_path, O_RDONLY);
    envelope_result *result = NULL;
    envelope_rc rc;

    ck_assert_int_ge(in, 0);
    ck_assert_int_ge(asprintf(&path, "%s/message", dir), 0);
    rc = envelope_open_file(ctx, opts, in, path, 0, &result);
    close(in);
    check_rc(want, ctx, rc, "envelope_open_file");
    if (want->ok) {
        size_t len;
        uint8_t *got = read_file(path, &len);
        struct stat st;

        check_bytes(want, got, len, "envelope_open_file");
        check_result(want, result, "envelope_open_file");
        ck_assert_int_eq(stat(path, &st), 0);
        ck_assert_msg((st.st_mode & 0777) == 0600, "%s: opened file has mode %o",
                      want->v->field[F_FILE], st.st_mode & 0777);
        ck_assert_int_eq(count_entries(dir), 1);
        free(got);
        unlink(path);
    } else {
        ck_assert_ptr_null(result);
        ck_assert_msg(count_entries(dir) == 0, "%s via envelope_open_file: %d files left",
                      want->v->field[F_FILE], count_entries(dir));
    }
    envelope_result_free(result);
    free(path);
}

static void open_fd(envelope_ctx *ctx, const envelope_open_opts *opts,
                    const struct expected *want, const char *env_path, const char *dir)
{
    char *path;
    int in = open(env_path, O_RDONLY), out;
    envelope_result *result = NULL;
    envelope_rc rc;
    size_t len;
    uint8_t *got;

    ck_assert_int_ge(in, 0);
    ck_assert_int_ge(asprintf(&path, "%s/fd-output", dir), 0);
    ck_assert_int_ge(out = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600), 0);
    rc = envelope_open_fd(ctx, opts, in, out, &result);
    close(in);
    close(out);
    check_rc(want, ctx, rc, "envelope_open_fd");
    got = read_file(path, &len);
    if (want->ok) {
        check_bytes(want, got, len, "envelope_open_fd");
        check_result(want, result, "envelope_open_fd");
    } else {
        ck_assert_msg(len == 0, "%s via envelope_open_fd: %zu bytes written",
                      want->v->field[F_FILE], len);
        ck_assert_ptr_null(result);
    }
    free(got);
    unlink(path);
    envelope_result_free(result);
    free(path);
}

START_TEST(vector_opens_as_indexed)
{
    const struct vector *v = &vectors[_i];
    struct expected want = {.v = v, .ok = strcmp(v->field[F_EXPECT], "OK") == 0};
    envelope_ctx *ctx = NULL;
    envelope_open_opts *opts;
    char *env_path = vector_path(v->field[F_FILE]);
    char *dir;
    size_t env_len;
    uint8_t *env = read_file(env_path, &env_len);

    ck_assert_int_ge(asprintf(&dir, "%s/out-%d", root_dir, _i), 0);
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    if (want.ok) {
        char *msg_path = vector_path(v->field[F_MESSAGE]);

        char sha512[129];

        want.message = read_file(msg_path, &want.len);
        sha512_hex(want.message, want.len, sha512);
        ck_assert_msg(strcmp(sha512, v->field[F_SHA512]) == 0,
                      "line %d: %s does not match the index's SHA-512", v->line, msg_path);
        free(msg_path);
    }
    ck_assert_rc(envelope_ctx_new(&ctx), ENVELOPE_OK);
    opts = vector_opts(ctx, v);

    open_mem(ctx, opts, &want, env, env_len);
    open_file(ctx, opts, &want, env_path, dir);
    open_fd(ctx, opts, &want, env_path, dir);
    ck_assert_msg(count_entries(spool_dir) == 0, "%s: %d files left in $TMPDIR",
                  v->field[F_FILE], count_entries(spool_dir));

    envelope_open_opts_free(opts);
    envelope_ctx_free(ctx);
    rm_tree(dir);
    free(dir);
    free(want.message);
    free(env);
    free(env_path);
}
END_TEST

/* The index must cover both kinds and every error the format can give:
 * a vector set that lost its negative half would otherwise pass. */
START_TEST(index_covers_every_error)
{
    static const char *names[] = {
        "OK",           "NOT_ENVELOPE", "UNKNOWN_VERSION",  "BAD_HEADER",       "NOT_RECIPIENT",
        "TAMPERED",     "TRUNCATED",    "TRAILING_DATA",    "BAD_ARCHIVE",      "UNTRUSTED_SIGNER",
        "BAD_MANIFEST", "FORWARDED",    "MESSAGE_MISMATCH", "TOO_LARGE",        "TOO_OLD",
    };

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        int seen = 0;

        for (size_t j = 0; j < n_vectors && !seen; j++)
            seen = strcmp(vectors[j].field[F_EXPECT], names[i]) == 0;
        ck_assert_msg(seen, "no vector expects %s", names[i]);
    }
}
END_TEST

static Suite *vectors_suite(void)
{
    Suite *s = suite_create("vectors");
    TCase *tc = tcase_create("index");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, index_covers_every_error);
    tcase_add_loop_test(tc, vector_opens_as_indexed, 0, (int)n_vectors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    const char *tmp;
    int failed;

    if (load_index() != 0) {
        fprintf(stderr, "test_vectors: cannot load %s (run from the top of the tree)\n",
                INDEX);
        return 1;
    }
    tmp = getenv("TMPDIR");
    if (asprintf(&root_dir, "%s/envelope-vectors-XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0 ||
        mkdtemp(root_dir) == NULL || asprintf(&spool_dir, "%s/tmp", root_dir) < 0 ||
        mkdir(spool_dir, 0700) != 0) {
        perror("test_vectors: temporary directory");
        return 1;
    }
    setenv("TMPDIR", spool_dir, 1);
    failed = run_suite(vectors_suite());
    rm_tree(root_dir);
    free(root_dir);
    free(spool_dir);
    free(vectors);
    free(index_text);
    return failed == 0 ? 0 : 1;
}
