/* envelope_inspect_fd, the keyless reader of what an envelope shows: the
 * input as a file (a memfd), then the same bytes as the armor writer makes
 * them, and through a pipe.
 *
 * Invariants: a refusal is one of the codes a header or its absence gives,
 * with a detail; what is accepted agrees with header_parse on the header's
 * bytes, and a file's payload is what follows the header. Armor changes
 * nothing but the payload's size (unknown): a v1 input gives, armored, the
 * same answer and the same header; a compat one is refused, armor holding
 * only v1 envelopes. A pipe gives the file's answer, the payload's size
 * unknown. */
#include <sys/mman.h>
#include <unistd.h>

#include "common.h"
#include "base/buf.h"
#include "format/armor.h"
#include "format/format.h"
#include "pipeline/opts.h"

struct seen {
    envelope_rc rc;
    envelope_info *info; /* NULL unless rc is ENVELOPE_OK */
};

static int collect(void *arg, const uint8_t *p, size_t n)
{
    return bytes_append(arg, p, n);
}

static void inspect_fd(int fd, struct seen *s)
{
    envelope_ctx *ctx = fuzz_ctx();

    s->info = NULL;
    s->rc = envelope_inspect_fd(ctx, fd, &s->info);
    check_detail(ctx);
    CHECK(s->rc == ENVELOPE_OK ? s->info != NULL
                               : s->info == NULL && *envelope_ctx_detail(ctx) != '\0');
    CHECK(s->rc == ENVELOPE_OK || s->rc == ENVELOPE_E_NOT_ENVELOPE ||
          s->rc == ENVELOPE_E_UNKNOWN_VERSION || s->rc == ENVELOPE_E_BAD_HEADER ||
          s->rc == ENVELOPE_E_TRUNCATED);
}

static void inspect_file(const uint8_t *p, size_t n, struct seen *s)
{
    int fd = memfd_create("fuzz_inspect", 0);

    CHECK(fd >= 0);
    CHECK(n == 0 || write(fd, p, n) == (ssize_t)n);
    CHECK(lseek(fd, 0, SEEK_SET) == 0);
    inspect_fd(fd, s);
    close(fd);
}

/* Through a pipe: the bytes fit its buffer (options/inspect: -max_len). */
static void inspect_pipe(const uint8_t *p, size_t n, struct seen *s)
{
    int fds[2];

    CHECK(pipe(fds) == 0);
    CHECK(n == 0 || write(fds[1], p, n) == (ssize_t)n);
    close(fds[1]);
    inspect_fd(fds[0], s);
    close(fds[0]);
}

/* The same answer, the same header; the payload's size aside. */
static void check_same(const struct seen *a, const struct seen *b)
{
    CHECK(a->rc == b->rc);
    if (a->rc != ENVELOPE_OK)
        return;
    CHECK(a->info->compat == b->info->compat && a->info->header_size == b->info->header_size);
    CHECK(memcmp(&a->info->header, &b->info->header, sizeof(a->info->header)) == 0);
}

/* What the library takes for armor: its first ARMOR_SNIFF_LEN bytes. */
static int is_armor(const uint8_t *p, size_t n)
{
    size_t first = n < ARMOR_SNIFF_LEN ? n : ARMOR_SNIFF_LEN;

    return armor_detect(p, first, first == ARMOR_SNIFF_LEN);
}

static void check_accepted(const uint8_t *p, size_t n, const struct seen *s)
{
    const envelope_info *info = s->info;
    struct header *h;

    if (is_armor(p, n)) {
        CHECK(!info->compat && info->payload_size == 0);
        return;
    }
    if (info->compat) {
        CHECK(info->payload_size == n && envelope_info_recipient_count(info) == 1);
        CHECK(n == 256 || n == 384 || n == 512);
        return;
    }
    CHECK(info->header_size <= n && info->payload_size == n - info->header_size);
    CHECK((h = calloc(1, sizeof(*h))) != NULL);
    CHECK(header_parse(fuzz_ctx(), p, info->header_size, h) == ENVELOPE_OK);
    CHECK(memcmp(h, &info->header, sizeof(*h)) == 0);
    free(h);
}

static void armored(const uint8_t *p, size_t n, struct bytes *text)
{
    struct sink out = {collect, text, NULL, NULL};
    struct armor_writer w;

    CHECK(armor_writer_init(&w, &out) == 0);
    CHECK(armor_write(&w, p, n) == 0 && armor_writer_finish(&w) == 0);
    armor_writer_free(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct seen file, pipe_, text;
    struct bytes armor = {0};

    inspect_file(data, size, &file);
    if (file.rc == ENVELOPE_OK)
        check_accepted(data, size, &file);
    inspect_pipe(data, size, &pipe_);
    check_same(&file, &pipe_);
    CHECK(pipe_.rc != ENVELOPE_OK || pipe_.info->compat || pipe_.info->payload_size == 0);
    /* An empty input has no armor but the empty block, refused as such. */
    if (size > 0 && (file.rc != ENVELOPE_OK || !file.info->compat) && !is_armor(data, size)) {
        armored(data, size, &armor);
        inspect_file(armor.p, armor.len, &text);
        check_same(&file, &text);
        CHECK(text.rc != ENVELOPE_OK || text.info->payload_size == 0);
        envelope_info_free(text.info);
    } else if (size > 0 && file.rc == ENVELOPE_OK && file.info->compat) {
        armored(data, size, &armor);
        inspect_file(armor.p, armor.len, &text);
        CHECK(text.rc == ENVELOPE_E_NOT_ENVELOPE);
    }
    bytes_free(&armor);
    envelope_info_free(file.info);
    envelope_info_free(pipe_.info);
    return 0;
}
