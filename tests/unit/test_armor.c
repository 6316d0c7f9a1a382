/* ASCII armor (docs/FORMAT.md, "ASCII armor"): what seal writes through every
 * entry point, that every open entry point and inspect read it, the
 * transport it survives (CRLF, white space at line ends, blank lines
 * around it), and each fault it is refused for, with the line and the
 * fault in the detail and no output. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "format/armor.h"
#include "testutil.h"

#define BEGIN "-----BEGIN LIBENVELOPE ENVELOPE-----"
#define END "-----END LIBENVELOPE ENVELOPE-----"

static envelope_ctx *ctx;
static envelope_key *alice;
static char *scratch;

static void setup(void)
{
    ctx = new_ctx();
    alice = load_test_key(ctx, "alice.pem");
    scratch = make_temp_dir();
}

static void teardown(void)
{
    rm_tree(scratch);
    free(scratch);
    envelope_key_free(alice);
    envelope_ctx_free(ctx);
}

static envelope_seal_opts *armor_opts(void)
{
    envelope_seal_opts *opts = seal_opts_for(ctx, &alice, 1, TEST_CREATED);

    ck_assert_rc(envelope_seal_opts_set_armor(opts, 1), ENVELOPE_OK);
    return opts;
}

/* msg sealed to alice, armored; NUL-terminated for the string edits below. */
static char *armored(const uint8_t *msg, size_t n, size_t *len)
{
    envelope_seal_opts *opts = armor_opts();
    uint8_t *env = NULL;
    char *text;

    ck_assert_rc(envelope_seal_mem(ctx, opts, msg, n, &env, len), ENVELOPE_OK);
    envelope_seal_opts_free(opts);
    text = malloc(*len + 1);
    ck_assert_ptr_nonnull(text);
    memcpy(text, env, *len);
    text[*len] = '\0';
    envelope_free(env);
    return text;
}

static char *hello_armored(size_t *len)
{
    return armored((const uint8_t *)"hello, armor\n", 13, len);
}

/* Checks the layout seal must write: BEGIN, lines of 64 but the last,
 * END, each ending in LF, nothing else. */
static void assert_layout(const char *text, size_t len)
{
    const char *p = text, *end = text + len;
    size_t line = 0, last = 0;

    ck_assert_msg(len > 0 && text[len - 1] == '\n', "armor does not end in LF");
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)(nl - p);

        ck_assert_msg(nl != NULL, "line %zu has no LF", line + 1);
        ck_assert_msg(memchr(p, '\r', n) == NULL, "line %zu has a CR", line + 1);
        if (line == 0)
            ck_assert_msg(n == strlen(BEGIN) && memcmp(p, BEGIN, n) == 0,
                          "line 1 is \"%.*s\"", (int)n, p);
        else if (nl + 1 == end)
            ck_assert_msg(n == strlen(END) && memcmp(p, END, n) == 0, "last line is \"%.*s\"",
                          (int)n, p);
        else {
            ck_assert_msg(last == 0, "line %zu of %zu characters is not the last base64 line",
                          line, last);
            if (n != 64)
                last = n;
            ck_assert_msg(n > 0 && n <= 64 && n % 4 == 0, "line %zu has %zu characters",
                          line + 1, n);
        }
        line++;
        p = nl + 1;
    }
    ck_assert_msg(line >= 3, "only %zu lines", line);
}

/* Opens text with envelope_open_mem and checks the message. */
static void assert_opens_to(const envelope_open_opts *opts, const void *text, size_t len,
                            const uint8_t *msg, size_t n, const char *what)
{
    uint8_t *out = NULL;
    size_t out_len = 0;
    envelope_rc rc = envelope_open_mem(ctx, opts, text, len, &out, &out_len, NULL);

    ck_assert_msg(rc == ENVELOPE_OK, "%s: open_mem gave %s (%s)", what, envelope_rc_name(rc),
                  envelope_ctx_detail(ctx));
    ck_assert_msg(out_len == n && memcmp(out, msg, n) == 0,
                  "%s: opened %zu bytes, want the %zu of the message", what, out_len, n);
    envelope_free_secret(out, out_len);
}

START_TEST(seal_mem_writes_the_layout_and_opens)
{
    size_t n = 200000, len;
    uint8_t *msg = pattern(n, 7);
    char *text = armored(msg, n, &len);
    envelope_open_opts *opts = open_opts_for(ctx, alice);

    assert_layout(text, len);
    assert_opens_to(opts, text, len, msg, n, "armored 200000 bytes");
    envelope_open_opts_free(opts);
    free(text);
    free(msg);
}
END_TEST

/* The bytes each seal entry point writes: fd, file and callbacks give the
 * same layout, and each opens. */
struct collect {
    uint8_t *p;
    size_t len;
};

static int collect_write(void *arg, const uint8_t *buf, size_t len)
{
    struct collect *c = arg;
    uint8_t *p = realloc(c->p, c->len + len);

    if (p == NULL)
        return -1;
    memcpy(p + c->len, buf, len);
    c->p = p;
    c->len += len;
    return 0;
}

struct mem_src {
    const uint8_t *p;
    size_t left;
};

static ssize_t mem_src_read(void *arg, uint8_t *buf, size_t len)
{
    struct mem_src *m = arg;
    size_t n = len < m->left ? len : m->left;

    memcpy(buf, m->p, n);
    m->p += n;
    m->left -= n;
    return (ssize_t)n;
}

static void assert_armored_opens(const uint8_t *env, size_t len, const uint8_t *msg, size_t n,
                                 const char *what)
{
    envelope_open_opts *opts = open_opts_for(ctx, alice);
    char *text = malloc(len + 1);

    memcpy(text, env, len);
    text[len] = '\0';
    assert_layout(text, len);
    assert_opens_to(opts, text, len, msg, n, what);
    envelope_open_opts_free(opts);
    free(text);
}

START_TEST(seal_fd_file_and_cb_write_armor)
{
    size_t n = 70000, len;
    uint8_t *msg = pattern(n, 3), *env;
    envelope_seal_opts *opts = armor_opts();
    int in = mem_fd(msg, n), out = memfd_create("armor", 0);
    char path[4096];
    struct mem_src src = {msg, n};
    struct collect c = {0};

    ck_assert_rc(envelope_seal_fd(ctx, opts, in, out), ENVELOPE_OK);
    env = fd_contents(out, &len);
    assert_armored_opens(env, len, msg, n, "seal_fd");
    free(env);
    close(in);
    close(out);

    snprintf(path, sizeof(path), "%s/out.asc", scratch);
    in = mem_fd(msg, n);
    ck_assert_rc(envelope_seal_file(ctx, opts, in, path, 0), ENVELOPE_OK);
    close(in);
    env = read_file(path, &len);
    assert_armored_opens(env, len, msg, n, "seal_file");
    free(env);

    ck_assert_rc(envelope_seal_cb(ctx, opts, n, mem_src_read, &src, collect_write, &c),
                 ENVELOPE_OK);
    assert_armored_opens(c.p, c.len, msg, n, "seal_cb");
    free(c.p);
    envelope_seal_opts_free(opts);
    free(msg);
}
END_TEST

/* Every open entry point reads armor: fd and callbacks through the spool,
 * file and extract through an unnamed file. */
START_TEST(every_open_entry_point_reads_armor)
{
    size_t n = 13, len, got;
    char *text = hello_armored(&len), path[4096];
    envelope_open_opts *opts = open_opts_for(ctx, alice);
    int in, out;
    uint8_t *data;
    struct mem_src src = {(const uint8_t *)text, len};
    struct collect c = {0};

    in = mem_fd((const uint8_t *)text, len);
    out = memfd_create("opened", 0);
    ck_assert_rc(envelope_open_fd(ctx, opts, in, out, NULL), ENVELOPE_OK);
    data = fd_contents(out, &got);
    ck_assert_msg(got == n && memcmp(data, "hello, armor\n", n) == 0, "open_fd gave %zu bytes",
                  got);
    free(data);
    close(in);
    close(out);

    snprintf(path, sizeof(path), "%s/opened", scratch);
    in = mem_fd((const uint8_t *)text, len);
    ck_assert_rc(envelope_open_file(ctx, opts, in, path, 0, NULL), ENVELOPE_OK);
    close(in);
    data = read_file(path, &got);
    ck_assert_msg(got == n && memcmp(data, "hello, armor\n", n) == 0,
                  "open_file gave %zu bytes", got);
    free(data);

    snprintf(path, sizeof(path), "%s/dir", scratch);
    in = mem_fd((const uint8_t *)text, len);
    ck_assert_rc(envelope_open_extract(ctx, opts, in, path, NULL), ENVELOPE_OK);
    close(in);
    ck_assert_int_eq(count_entries(path), 3);

    ck_assert_rc(envelope_open_cb(ctx, opts, mem_src_read, &src, collect_write, &c, NULL),
                 ENVELOPE_OK);
    ck_assert_msg(c.len == n && memcmp(c.p, "hello, armor\n", n) == 0,
                  "open_cb gave %zu bytes", c.len);
    free(c.p);
    envelope_open_opts_free(opts);
    free(text);
}
END_TEST

/* What a mail or chat channel does to text: CRLF, white space at the end
 * of lines, blank lines before and after. */
static char *through_channel(const char *text, size_t *len)
{
    size_t n = strlen(text), o = 0;
    char *out = malloc(3 * n + 64);

    o += (size_t)sprintf(out, "\r\n \t\r\n");
    for (size_t i = 0; i < n; i++) {
        if (text[i] == '\n') {
            out[o++] = ' ';
            out[o++] = '\t';
            out[o++] = '\r';
        }
        out[o++] = text[i];
    }
    o += (size_t)sprintf(out + o, "\r\n  \r\n");
    *len = o;
    return out;
}

START_TEST(crlf_trailing_white_space_and_blank_lines_pass)
{
    size_t len, sent_len;
    char *text = hello_armored(&len), *sent = through_channel(text, &sent_len);
    envelope_open_opts *opts = open_opts_for(ctx, alice);

    assert_opens_to(opts, sent, sent_len, (const uint8_t *)"hello, armor\n", 13,
                    "CRLF and white space");
    /* and without a line end after END */
    assert_opens_to(opts, text, len - 1, (const uint8_t *)"hello, armor\n", 13,
                    "no LF after END");
    envelope_open_opts_free(opts);
    free(sent);
    free(text);
}
END_TEST

/* White space without end is transport too, and costs no memory: a line
 * followed by a megabyte of spaces, a megabyte of blank lines before. */
START_TEST(long_white_space_is_streamed)
{
    size_t len, big = 1 << 20, o = 0;
    char *text = hello_armored(&len), *first_nl = strchr(text, '\n');
    char *sent = malloc(len + 2 * big);
    envelope_open_opts *opts = open_opts_for(ctx, alice);

    memset(sent, '\n', big);
    o = big;
    memcpy(sent + o, text, (size_t)(first_nl - text));
    o += (size_t)(first_nl - text);
    memset(sent + o, ' ', big);
    o += big;
    memcpy(sent + o, first_nl, len - (size_t)(first_nl - text));
    o += len - (size_t)(first_nl - text);
    assert_opens_to(opts, sent, o, (const uint8_t *)"hello, armor\n", 13, "long white space");
    envelope_open_opts_free(opts);
    free(sent);
    free(text);
}
END_TEST

/* Blank lines before BEGIN, of every length around the bytes read to
 * tell armor: the BEGIN line may start inside them, after them, or be cut
 * by their end. */
START_TEST(blank_lines_of_any_length_before_begin)
{
    size_t len, max = 2 * ARMOR_SNIFF_LEN + 2;
    char *text = hello_armored(&len), *sent = malloc(max + len), what[64];
    envelope_open_opts *opts = open_opts_for(ctx, alice);

    for (size_t k = 1; k <= max; k++) {
        for (size_t i = 0; i + 1 < k; i++)
            sent[i] = " \t\r\n"[i % 4];
        sent[k - 1] = '\n';
        memcpy(sent + k, text, len);
        snprintf(what, sizeof(what), "%zu blank bytes before BEGIN", k);
        assert_opens_to(opts, sent, k + len, (const uint8_t *)"hello, armor\n", 13, what);
    }
    envelope_open_opts_free(opts);
    free(sent);
    free(text);
}
END_TEST

/* A reader that hands out one byte a read, as a slow pipe may. */
static ssize_t one_byte_read(void *arg, uint8_t *buf, size_t len)
{
    return mem_src_read(arg, buf, len > 0 ? 1 : 0);
}

/* Armor through a channel, with blank lines that cover the bytes read to
 * tell armor, opens one byte a read; a fault found that way leaves no
 * output. */
START_TEST(a_source_giving_one_byte_a_read)
{
    size_t len, sent_len, blank = ARMOR_SNIFF_LEN - 4;
    char *text = hello_armored(&len), *channel = through_channel(text, &sent_len);
    char *sent = malloc(blank + sent_len + 16);
    envelope_open_opts *opts = open_opts_for(ctx, alice);
    struct mem_src src = {(const uint8_t *)sent, 0};
    struct collect c = {0};
    envelope_rc rc;

    memset(sent, '\n', blank);
    memcpy(sent + blank, channel, sent_len);
    src.left = blank + sent_len;
    rc = envelope_open_cb(ctx, opts, one_byte_read, &src, collect_write, &c, NULL);
    ck_assert_msg(rc == ENVELOPE_OK, "open_cb gave %s (%s)", envelope_rc_name(rc),
                  envelope_ctx_detail(ctx));
    ck_assert_msg(c.len == 13 && memcmp(c.p, "hello, armor\n", 13) == 0,
                  "open_cb gave %zu bytes", c.len);
    free(c.p);

    c = (struct collect){0};
    memcpy(sent + blank + sent_len, "thanks!\n", 8);
    src = (struct mem_src){(const uint8_t *)sent, blank + sent_len + 8};
    rc = envelope_open_cb(ctx, opts, one_byte_read, &src, collect_write, &c, NULL);
    ck_assert_msg(rc == ENVELOPE_E_NOT_ENVELOPE &&
                      strstr(envelope_ctx_detail(ctx), "text after the END line") != NULL,
                  "text after END: open_cb gave %s (%s)", envelope_rc_name(rc),
                  envelope_ctx_detail(ctx));
    ck_assert_msg(c.len == 0, "text after END: open_cb failed but wrote %zu bytes", c.len);
    free(c.p);
    envelope_open_opts_free(opts);
    free(sent);
    free(channel);
    free(text);
}
END_TEST

/* text with line `line` (from 1) replaced by `with` (a whole line, LF
 * included, or "" to drop it); NULL when text has no such line. */
static char *replace_line(const char *text, int line, const char *with)
{
    const char *p = text, *nl;
    char *out;

    for (int i = 1; i < line; i++)
        if ((p = strchr(p, '\n')) == NULL || *++p == '\0')
            return NULL;
    nl = strchr(p, '\n');
    out = malloc(strlen(text) + strlen(with) + 1);
    sprintf(out, "%.*s%s%s", (int)(p - text), text, with, nl ? nl + 1 : "");
    return out;
}

static char *line_of(const char *text, int line)
{
    const char *p = text;
    static char buf[256];

    for (int i = 1; i < line; i++)
        p = strchr(p, '\n') + 1;
    snprintf(buf, sizeof(buf), "%.*s", (int)(strchr(p, '\n') - p), p);
    return buf;
}

/* Refused by open_mem, open_file and open_fd as NOT_ENVELOPE with the
 * detail; nothing is written. */
static void assert_refused(const char *text, const char *detail, const char *what)
{
    envelope_open_opts *opts = open_opts_for(ctx, alice);
    size_t len = strlen(text), got;
    int in = mem_fd((const uint8_t *)text, len), out = memfd_create("out", 0);
    uint8_t *data;
    envelope_rc rc;

    assert_open_fails(ctx, opts, (const uint8_t *)text, len, ENVELOPE_E_NOT_ENVELOPE, scratch,
                      1, what);
    ck_assert_msg(strstr(envelope_ctx_detail(ctx), detail) != NULL,
                  "%s: detail \"%s\" lacks \"%s\"", what, envelope_ctx_detail(ctx), detail);
    rc = envelope_open_fd(ctx, opts, in, out, NULL);
    data = fd_contents(out, &got);
    ck_assert_msg(rc == ENVELOPE_E_NOT_ENVELOPE && strstr(envelope_ctx_detail(ctx), detail),
                  "%s: open_fd gave %s (%s), want NOT_ENVELOPE with \"%s\"", what,
                  envelope_rc_name(rc), envelope_ctx_detail(ctx), detail);
    ck_assert_msg(got == 0, "%s: open_fd failed but wrote %zu bytes", what, got);
    free(data);
    close(in);
    close(out);
    envelope_open_opts_free(opts);
}

/* inspect reads the header only: a fault in its lines is refused as open
 * refuses it (in_header), one further on may go unseen; never another
 * error, never an info on failure. */
static void assert_inspect_refused(const char *text, const char *detail, int in_header,
                                   const char *what)
{
    size_t len = strlen(text);
    int in = mem_fd((const uint8_t *)text, len);
    envelope_info *info = (envelope_info *)&len;
    envelope_rc rc = envelope_inspect_fd(ctx, in, &info);

    ck_assert_msg(rc == ENVELOPE_E_NOT_ENVELOPE ? strstr(envelope_ctx_detail(ctx), detail) != NULL
                                                : rc == ENVELOPE_OK && !in_header,
                  "%s: inspect gave %s (%s), want NOT_ENVELOPE with \"%s\"%s", what,
                  envelope_rc_name(rc), envelope_ctx_detail(ctx), detail,
                  in_header ? "" : " or OK");
    if (rc != ENVELOPE_OK)
        ck_assert_msg(info == NULL, "%s: inspect failed but left info %p", what, (void *)info);
    else
        envelope_info_free(info);
    close(in);
}

START_TEST(each_fault_is_refused_with_its_line)
{
    size_t len;
    char *text = hello_armored(&len), *bad, line3[80];
    int last = 0; /* the last base64 line */
    struct {
        const char *what, *detail;
        char *text;
    } cases[16];
    size_t n = 0;

    for (const char *p = text; (p = strchr(p, '\n')) != NULL && p[1] != '\0'; p++)
        last++;
    ck_assert_msg(last >= 3, "armor of %d lines", last + 1);
    strcpy(line3, line_of(text, 3));
#define CASE(w, d, t) (cases[n].what = (w), cases[n].detail = (d), cases[n].text = (t), n++)
    bad = malloc(2 * len + 1);
    sprintf(bad, "%s%s", text, text);
    CASE("a second block", "a second armor block", bad);
    bad = malloc(len + 16);
    sprintf(bad, "%sthanks!\n", text);
    CASE("text after END", "text after the END line", bad);
    bad = malloc(len + 16);
    sprintf(bad, "Hi,\n%s", text);
    CASE("text before BEGIN", "text before the armor's BEGIN line", bad);
    CASE("no END line", "ends before the END line", replace_line(text, last + 1, ""));
    line3[10] = '=';
    CASE("'=' in the middle", "line 3: '=' inside the data, at column 11",
         replace_line(text, 3, strcat(line3, "\n")));
    strcpy(line3, line_of(text, 3));
    line3[60] = '\n';
    line3[61] = '\0';
    CASE("a short line before others", "line 3: 60 base64 characters; every line but the "
                                       "last has 64", replace_line(text, 3, line3));
    strcpy(line3, line_of(text, 3));
    strcat(line3, "AAAA\n");
    CASE("a long line", "line 3: longer than 64 characters", replace_line(text, 3, line3));
    strcpy(line3, line_of(text, 3));
    line3[5] = '*';
    CASE("a character not base64", "line 3: column 6: byte 0x2a is not a base64 character",
         replace_line(text, 3, strcat(line3, "\n")));
    CASE("an empty line inside", "line 3: an empty line inside the armor",
         replace_line(text, 3, "\n"));
    CASE("END right after BEGIN", "line 2: the END line, with no data before it",
         replace_line(text, 2, END "\n" END "\n"));
    CASE("a leading space on BEGIN", "line 1: not the BEGIN line",
         replace_line(text, 1, " " BEGIN "\n"));
    /* 300 zero bytes: base64 of no v1 envelope */
    CASE("no envelope inside", "line 2: the armor holds no v1 envelope",
         strdup(BEGIN "\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
                "AAAA\n" END "\n"));
    for (size_t i = 0; i < n; i++) {
        ck_assert_msg(cases[i].text != NULL, "%s: no text", cases[i].what);
        assert_refused(cases[i].text, cases[i].detail, cases[i].what);
        /* The header takes the lines up to the 8th: every "line N" fault
         * here is on line 3 or before, and text before BEGIN precedes it. */
        assert_inspect_refused(cases[i].text, cases[i].detail,
                               strncmp(cases[i].detail, "line ", 5) == 0 ||
                                   strstr(cases[i].detail, "text before") != NULL,
                               cases[i].what);
        free(cases[i].text);
    }
#undef CASE
    free(text);
}
END_TEST

/* The bits that the padding leaves unused must be zero. "iUVOVg0KGg=="
 * is the one encoding of the magic's first 7 bytes (an envelope cut
 * inside its magic: truncated); "iUVOVg0KGh==" decodes to the same bytes
 * under a lax decoder, and is refused before they are looked at. */
START_TEST(non_canonical_padding_is_refused)
{
    envelope_open_opts *opts = open_opts_for(ctx, alice);
    static const char canonical[] = BEGIN "\niUVOVg0KGg==\n" END "\n";

    assert_open_fails(ctx, opts, (const uint8_t *)canonical, strlen(canonical),
                      ENVELOPE_E_TRUNCATED, scratch, 1, "canonical padding");
    assert_refused(BEGIN "\niUVOVg0KGh==\n" END "\n",
                   "line 2: non-canonical base64: the bits before the '=' padding are not zero",
                   "padding bits set, '=='");
    assert_refused(BEGIN "\niUVOVg0KGgr=\n" END "\n",
                   "line 2: non-canonical base64", "padding bits set, '='");
    envelope_open_opts_free(opts);
}
END_TEST

START_TEST(compat_armor_is_refused_when_sealing)
{
    envelope_key *dave = load_test_key(ctx, "dave.pub");
    envelope_seal_opts *opts = seal_opts_for(ctx, &dave, 1, TEST_CREATED);
    uint8_t *out = (uint8_t *)"untouched";
    size_t out_len = 7;
    char path[4096];
    int in = mem_fd((const uint8_t *)"hi", 2);

    ck_assert_rc(envelope_seal_opts_set_format(opts, ENVELOPE_FORMAT_COMPAT), ENVELOPE_OK);
    ck_assert_rc(envelope_seal_opts_set_armor(opts, 1), ENVELOPE_OK);
    ck_assert_rc(envelope_seal_mem(ctx, opts, (const uint8_t *)"hi", 2, &out, &out_len),
                 ENVELOPE_E_INVALID_ARGUMENT);
    ck_assert_msg(strstr(envelope_ctx_detail(ctx), "armor is for v1 envelopes") != NULL,
                  "detail: %s", envelope_ctx_detail(ctx));
    ck_assert_msg(out == NULL && out_len == 0, "output left: %zu bytes", out_len);
    snprintf(path, sizeof(path), "%s/compat.asc", scratch);
    ck_assert_rc(envelope_seal_file(ctx, opts, in, path, 0), ENVELOPE_E_INVALID_ARGUMENT);
    ck_assert_int_eq(count_entries(scratch), 0);
    ck_assert_rc(envelope_seal_opts_set_armor(NULL, 1), ENVELOPE_E_INVALID_ARGUMENT);
    close(in);
    envelope_seal_opts_free(opts);
    envelope_key_free(dave);
}
END_TEST

/* A write that fails at the END line (the last one): IO, not success. */
static int fail_at_end(void *arg, const uint8_t *buf, size_t len)
{
    (void)arg;
    if (len >= strlen(END) + 1 && memmem(buf, len, END, strlen(END)) != NULL) {
        errno = ENOSPC;
        return -1;
    }
    return 0;
}

START_TEST(a_failed_last_write_fails)
{
    envelope_seal_opts *opts = armor_opts();
    struct mem_src src = {(const uint8_t *)"hi", 2};

    ck_assert_rc(envelope_seal_cb(ctx, opts, 2, mem_src_read, &src, fail_at_end, NULL),
                 ENVELOPE_E_IO);
    envelope_seal_opts_free(opts);
}
END_TEST

START_TEST(inspect_reads_armor_from_a_file_and_a_pipe)
{
    size_t len;
    char *text = hello_armored(&len);
    int fd = mem_fd((const uint8_t *)text, len), p[2];
    envelope_info *info = NULL;

    ck_assert_rc(envelope_inspect_fd(ctx, fd, &info), ENVELOPE_OK);
    ck_assert_uint_eq(envelope_info_version(info), 1);
    ck_assert_uint_eq(envelope_info_recipient_count(info), 1);
    ck_assert_uint_eq(envelope_info_recipient_bits(info, 0), 2048);
    ck_assert_uint_gt(envelope_info_header_size(info), 296);
    ck_assert_uint_eq(envelope_info_payload_size(info), 0); /* armored: unknown */
    envelope_info_free(info);
    close(fd);
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_uint_lt(len, 65536); /* fits the pipe: no writer thread needed */
    ck_assert_int_eq(write(p[1], text, len), (ssize_t)len);
    close(p[1]);
    ck_assert_rc(envelope_inspect_fd(ctx, p[0], &info), ENVELOPE_OK);
    ck_assert_uint_eq(envelope_info_version(info), 1);
    envelope_info_free(info);
    close(p[0]);
    free(text);
}
END_TEST

/* Once the reader finds a fault, every read fails (EIO) and hands out
 * nothing, not even the bytes of the faulty line: 48 zero bytes, no v1
 * magic. */
START_TEST(after_a_fault_nothing_is_handed_out)
{
    static const char text[] = BEGIN "\n"
                               "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
                               "AAAA\n" END "\n";
    struct mem_src m = {(const uint8_t *)text, strlen(text)};
    struct source in = {mem_src_read, &m, 0};
    struct armor_reader r;
    uint8_t buf[100];

    armor_reader_init(&r, ctx, &in);
    for (int i = 0; i < 3; i++) {
        errno = 0;
        ck_assert_msg(armor_read(&r, buf, sizeof(buf)) == -1 && errno == EIO,
                      "read %d after the fault: errno %d", i + 1, errno);
    }
    ck_assert_rc(r.rc, ENVELOPE_E_NOT_ENVELOPE);
    ck_assert_str_eq(r.why, "armor, line 2: the armor holds no v1 envelope (no envelope magic)");
}
END_TEST

Suite *armor_suite(void);

Suite *armor_suite(void)
{
    Suite *s = suite_create("armor");
    TCase *t = tcase_create("armor");

    tcase_set_timeout(t, 120);
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, seal_mem_writes_the_layout_and_opens);
    tcase_add_test(t, seal_fd_file_and_cb_write_armor);
    tcase_add_test(t, every_open_entry_point_reads_armor);
    tcase_add_test(t, crlf_trailing_white_space_and_blank_lines_pass);
    tcase_add_test(t, long_white_space_is_streamed);
    tcase_add_test(t, blank_lines_of_any_length_before_begin);
    tcase_add_test(t, a_source_giving_one_byte_a_read);
    tcase_add_test(t, each_fault_is_refused_with_its_line);
    tcase_add_test(t, non_canonical_padding_is_refused);
    tcase_add_test(t, compat_armor_is_refused_when_sealing);
    tcase_add_test(t, a_failed_last_write_fails);
    tcase_add_test(t, inspect_reads_armor_from_a_file_and_a_pipe);
    tcase_add_test(t, after_a_fault_nothing_is_handed_out);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return run_suite(armor_suite()) ? 1 : 0;
}
