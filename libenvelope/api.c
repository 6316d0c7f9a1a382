/* The public seal and open entry points: they choose sources and sinks and
 * make outputs atomic; the pipelines in seal.c and open.c do the work. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/armor.h"
#include "base/buf.h"
#include "pipeline/compat.h"
#include "base/context.h"
#include "pipeline/input_spool.h"
#include "pipeline/opts.h"
#include "io/output.h"
#include "pipeline/pipeline.h"
#include "pipeline/release.h"
#include "io/space.h"

/* Names a caller's descriptor in errors: the library knows no path for it. */
#define OUT_FD_NAME "the output"

/* A v1 envelope through an armor writer: nothing of the envelope is held
 * back but the last line. */
static envelope_rc seal_armored(envelope_ctx *ctx, const envelope_seal_opts *opts,
                                uint64_t size, const struct source *in, const struct sink *out)
{
    struct armor_writer w;
    struct sink text = {armor_write, &w, out->where, out->space};
    envelope_rc rc;

    if (armor_writer_init(&w, out) != 0)
        return fail(ctx, ENVELOPE_E_NOMEM, "armor");
    if ((rc = seal_v1(ctx, opts, size, in, &text)) == ENVELOPE_OK &&
        armor_writer_finish(&w) != 0)
        rc = fail_write(ctx, errno, out->where, "writing the envelope");
    armor_writer_free(&w);
    return rc;
}

static envelope_rc seal_any(envelope_ctx *ctx, const envelope_seal_opts *opts, uint64_t size,
                            const struct source *in, const struct sink *out)
{
    detail_clear(ctx);
    if (opts == NULL)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "no options");
    /* A compat envelope is for the tutorial's commands, which read the bare
     * ciphertext only. */
    if (opts->format == ENVELOPE_FORMAT_COMPAT && opts->armor)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT,
                    "armor is for v1 envelopes: a compat envelope stays the bare RSA "
                    "ciphertext that the tutorial's commands read");
    if (opts->max_size && size > opts->max_size)
        return fail(ctx, ENVELOPE_E_TOO_LARGE,
                    "the message, %llu bytes, is over the maximum of %llu",
                    (unsigned long long)size, (unsigned long long)opts->max_size);
    if (opts->format == ENVELOPE_FORMAT_COMPAT)
        return seal_compat(ctx, opts, size, in, out);
    if (opts->armor)
        return seal_armored(ctx, opts, size, in, out);
    return seal_v1(ctx, opts, size, in, out);
}

/* Pseudo files are small, but a few stream without end (trace_pipe). */
#define MADE_UP_MAX (4 * 1024 * 1024)

/* Where a message read from a descriptor comes from. */
struct input {
    int fd;                   /* the caller's */
    struct input_spool spool; /* a pipe's message, encrypted */
    struct bytes whole;       /* a pseudo file's contents, wiped when freed */
    struct mem_reader mem;
    struct source src;
    uint64_t size;
};

/* A regular file is read in place, its size taken from fstat as a hint that
 * the file must then bear out. A pseudo file (procfs, sysfs, ...) reports a
 * made-up size: it is read whole first. Anything else (a pipe) is spooled
 * first, encrypted, because the archive states the message's size before
 * its bytes. */
static envelope_rc input_open(envelope_ctx *ctx, int fd, struct input *in)
{
    struct stat st;
    off_t pos;
    envelope_rc rc;

    memset(in, 0, sizeof(*in));
    in->fd = fd;
    in->spool.fd = -1;
    in->whole.secret = 1;
    in->src = (struct source){fd_read, &in->fd, 0};
    if (fstat(fd, &st) != 0)
        return fail(ctx, ENVELOPE_E_IO, "input: %s", strerror(errno));
    if (S_ISREG(st.st_mode) && fd_size_is_made_up(fd)) {
        if ((rc = read_fd_whole(ctx, fd, MADE_UP_MAX, &in->whole)) != ENVELOPE_OK)
            return rc;
        in->mem = (struct mem_reader){in->whole.p, in->whole.len};
        in->src = (struct source){mem_read, &in->mem, 0};
        in->size = in->whole.len;
        return ENVELOPE_OK;
    }
    if (S_ISREG(st.st_mode) && (pos = lseek(fd, 0, SEEK_CUR)) >= 0) {
        in->size = (uint64_t)(st.st_size > pos ? st.st_size - pos : 0);
        in->src.check_end = 1;
        return ENVELOPE_OK;
    }
    if ((rc = input_spool_fill(ctx, &in->spool, fd)) != ENVELOPE_OK)
        return rc;
    in->src = (struct source){input_spool_read, &in->spool, 0};
    in->size = in->spool.size;
    return ENVELOPE_OK;
}

static void input_close(struct input *in)
{
    input_spool_free(&in->spool);
    bytes_free(&in->whole);
}

static envelope_rc seal_fd_to(envelope_ctx *ctx, const envelope_seal_opts *opts, int in_fd,
                              int out_fd, const char *where)
{
    struct input in;
    struct sink out = {fd_write, &out_fd, where, NULL};
    envelope_rc rc = input_open(ctx, in_fd, &in);

    if (rc == ENVELOPE_OK)
        rc = seal_any(ctx, opts, in.size, &in.src, &out);
    if (rc != ENVELOPE_OK && in.spool.rc != ENVELOPE_OK && in.spool.rc != ENVELOPE_E_CANCELLED)
        rc = fail(ctx, in.spool.rc, "the spool of the input changed while it was read");
    input_close(&in);
    return rc;
}

envelope_rc envelope_seal_fd(envelope_ctx *ctx, const envelope_seal_opts *opts, int in_fd,
                             int out_fd)
{
    return seal_fd_to(ctx, opts, in_fd, out_fd, OUT_FD_NAME);
}

envelope_rc envelope_seal_file(envelope_ctx *ctx, const envelope_seal_opts *opts, int in_fd,
                               const char *out_path, int force)
{
    struct out_file f;
    envelope_rc rc;

    if (out_path == NULL)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "no output path");
    if ((rc = out_file_begin(ctx, &f, out_path, force)) == ENVELOPE_OK &&
        (rc = seal_fd_to(ctx, opts, in_fd, f.fd, out_path)) == ENVELOPE_OK) {
        /* The temporary file is private; an envelope is ciphertext, to be
         * handed on, and is documented as 0644. */
        if (fchmod(f.fd, 0644) != 0)
            rc = fail(ctx, ENVELOPE_E_IO, "%s: %s", out_path, strerror(errno));
        else
            rc = out_file_commit(ctx, &f, force, !opts->no_dir_sync);
    }
    out_file_abort(&f);
    return rc;
}

envelope_rc envelope_seal_mem(envelope_ctx *ctx, const envelope_seal_opts *opts,
                              const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len)
{
    struct mem_reader r = {in, in_len};
    struct bytes b = {0};
    struct source src = {mem_read, &r};
    struct sink dst = {bytes_write, &b};
    envelope_rc rc;

    if (out == NULL || out_len == NULL || (in == NULL && in_len != 0))
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "no input or output");
    *out = NULL;
    *out_len = 0;
    if ((rc = seal_any(ctx, opts, in_len, &src, &dst)) == ENVELOPE_OK)
        *out = bytes_steal(&b, out_len);
    bytes_free(&b);
    return rc;
}

envelope_rc envelope_seal_cb(envelope_ctx *ctx, const envelope_seal_opts *opts, uint64_t in_size,
                             envelope_read_fn read, void *read_arg, envelope_write_fn write,
                             void *write_arg)
{
    struct source in = {read, read_arg};
    struct sink out = {write, write_arg};

    if (read == NULL || write == NULL)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "no read or write callback");
    return seal_any(ctx, opts, in_size, &in, &out);
}

/* Verifies with only ciphertext spooled, then releases into msg, whose
 * descriptor out_fd (-1: a callback) is measured for space. */
static envelope_rc open_spooled_to(envelope_ctx *ctx, const envelope_open_opts *opts,
                                   const struct source *in, const struct sink *msg,
                                   int out_fd, envelope_result **result)
{
    struct spooled sp;
    envelope_result *r = NULL;
    envelope_rc rc;

    spooled_init(&sp);
    if (out_fd >= 0)
        space_add_fd(&sp.space, out_fd, msg->where);
    if ((rc = spooled_verify(ctx, opts, in, &sp, &r)) == ENVELOPE_OK &&
        (rc = spooled_release(ctx, &sp, msg)) == ENVELOPE_OK && result) {
        *result = r;
        r = NULL;
    }
    envelope_result_free(r);
    spooled_free(&sp);
    return rc;
}

envelope_rc envelope_open_fd(envelope_ctx *ctx, const envelope_open_opts *opts, int in_fd,
                             int out_fd, envelope_result **result)
{
    struct source in = {fd_read, &in_fd};
    struct sink out = {fd_write, &out_fd, OUT_FD_NAME, NULL};

    if (result)
        *result = NULL;
    return open_spooled_to(ctx, opts, &in, &out, out_fd, result);
}

envelope_rc envelope_open_cb(envelope_ctx *ctx, const envelope_open_opts *opts,
                             envelope_read_fn read, void *read_arg, envelope_write_fn write,
                             void *write_arg, envelope_result **result)
{
    struct source in = {read, read_arg};
    struct sink out = {write, write_arg};

    if (result)
        *result = NULL;
    if (read == NULL || write == NULL)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "no read or write callback");
    return open_spooled_to(ctx, opts, &in, &out, -1, result);
}

/* Without O_TMPFILE beside the output: verify first, and only then create
 * the output under a temporary name and release into it. */
static envelope_rc open_file_spooled(envelope_ctx *ctx, const envelope_open_opts *opts,
                                     const struct source *in, struct out_file *f,
                                     const char *path, int force, envelope_result **r)
{
    struct spooled sp;
    struct sink msg = {fd_write, &f->fd, path, NULL};
    envelope_rc rc;

    spooled_init(&sp);
    space_add_beside(&sp.space, path, path);
    if ((rc = spooled_verify(ctx, opts, in, &sp, r)) == ENVELOPE_OK) {
        out_file_abort(f);
        if ((rc = out_file_begin_named(ctx, f, path, force)) == ENVELOPE_OK)
            rc = spooled_release(ctx, &sp, &msg);
    }
    spooled_free(&sp);
    return rc;
}

envelope_rc envelope_open_file(envelope_ctx *ctx, const envelope_open_opts *opts, int in_fd,
                               const char *out_path, int force, envelope_result **result)
{
    struct out_file f;
    struct space room = {0};
    struct source in = {fd_read, &in_fd};
    struct sink msg = {fd_write, &f.fd, out_path, &room};
    envelope_result *r = NULL;
    envelope_rc rc;

    if (result)
        *result = NULL;
    if (out_path == NULL)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "no output path");
    if ((rc = out_file_begin_unnamed(ctx, &f, out_path, force)) != ENVELOPE_OK)
        goto out;
    if (f.fd >= 0) {
        space_add_fd(&room, f.fd, out_path);
        rc = open_into(ctx, opts, &in, &msg, NULL, &r);
    } else {
        rc = open_file_spooled(ctx, opts, &in, &f, out_path, force, &r);
    }
    if (rc == ENVELOPE_OK)
        rc = out_file_commit(ctx, &f, force, !opts->no_dir_sync);
    if (rc == ENVELOPE_OK && result) {
        *result = r;
        r = NULL;
    }
out:
    envelope_result_free(r);
    out_file_abort(&f);
    return rc;
}

static envelope_rc write_small(envelope_ctx *ctx, struct out_dir *d, const char *name,
                               const uint8_t *p, size_t n)
{
    int fd;
    envelope_rc rc = out_dir_create(ctx, d, name, &fd);

    if (rc != ENVELOPE_OK)
        return rc;
    if (fd_write(&fd, p, n) != 0)
        rc = fail_write(ctx, errno, d->path, name);
    else
        rc = out_sync(ctx, fd, d->path);
    close(fd);
    return rc;
}

/* v1: manifest.json and manifest.sig; compat: message.sig over the message. */
static envelope_rc write_signature(envelope_ctx *ctx, struct out_dir *d, const struct opened *raw)
{
    envelope_rc rc;

    if (raw->manifest_len == 0)
        return write_small(ctx, d, "message.sig", raw->sig, raw->sig_len);
    if ((rc = write_small(ctx, d, "manifest.json", raw->manifest, raw->manifest_len)) !=
        ENVELOPE_OK)
        return rc;
    return write_small(ctx, d, "manifest.sig", raw->sig, raw->sig_len);
}

static envelope_rc refuse_existing(envelope_ctx *ctx, const char *path)
{
    struct stat st;

    return lstat(path, &st) == 0 ? fail(ctx, ENVELOPE_E_OUTPUT_EXISTS, "%s exists", path)
                                 : ENVELOPE_OK;
}

/* The directory is made only once the envelope has been verified: the
 * message meanwhile goes to an unnamed file beside it where the file
 * system has O_TMPFILE, and nowhere but the ciphertext spool elsewhere. */
static envelope_rc extract_unnamed(envelope_ctx *ctx, const envelope_open_opts *opts,
                                   const struct source *in, int fd, const char *dir,
                                   struct out_dir *d, envelope_result **r)
{
    struct opened raw;
    struct space room = {0};
    struct sink msg = {fd_write, &fd, dir, &room};
    envelope_rc rc;

    space_add_fd(&room, fd, dir);
    if ((rc = open_into(ctx, opts, in, &msg, &raw, r)) == ENVELOPE_OK &&
        (rc = out_sync(ctx, fd, dir)) == ENVELOPE_OK &&
        (rc = out_dir_begin(ctx, d, dir)) == ENVELOPE_OK &&
        (rc = out_dir_name_message(ctx, d, fd, envelope_result_name(*r))) == ENVELOPE_OK)
        rc = write_signature(ctx, d, &raw);
    OPENSSL_cleanse(&raw, sizeof(raw));
    return rc;
}

static envelope_rc extract_spooled(envelope_ctx *ctx, const envelope_open_opts *opts,
                                   const struct source *in, const char *dir,
                                   struct out_dir *d, envelope_result **r)
{
    struct spooled sp;
    int fd = -1;
    struct sink msg = {fd_write, &fd, dir, NULL};
    envelope_rc rc;

    spooled_init(&sp);
    space_add_beside(&sp.space, dir, dir);
    if ((rc = spooled_verify(ctx, opts, in, &sp, r)) == ENVELOPE_OK &&
        (rc = out_dir_begin(ctx, d, dir)) == ENVELOPE_OK &&
        (rc = out_dir_create(ctx, d, envelope_result_name(*r), &fd)) == ENVELOPE_OK &&
        (rc = spooled_release(ctx, &sp, &msg)) == ENVELOPE_OK &&
        (rc = out_sync(ctx, fd, dir)) == ENVELOPE_OK)
        rc = write_signature(ctx, d, &sp.raw);
    if (fd >= 0)
        close(fd);
    spooled_free(&sp);
    return rc;
}

envelope_rc envelope_open_extract(envelope_ctx *ctx, const envelope_open_opts *opts, int in_fd,
                                  const char *dir, envelope_result **result)
{
    struct out_dir d = {.dir_fd = -1};
    struct source in = {fd_read, &in_fd};
    envelope_result *r = NULL;
    int fd = -1;
    envelope_rc rc;

    if (result)
        *result = NULL;
    if (dir == NULL)
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "no output directory");
    if ((rc = refuse_existing(ctx, dir)) != ENVELOPE_OK)
        return rc;
    if ((rc = out_unnamed_beside(ctx, dir, &fd)) != ENVELOPE_OK)
        return rc;
    if (fd >= 0)
        rc = extract_unnamed(ctx, opts, &in, fd, dir, &d, &r);
    else
        rc = extract_spooled(ctx, opts, &in, dir, &d, &r);
    if (rc == ENVELOPE_OK)
        rc = out_dir_commit(ctx, &d, !opts->no_dir_sync);
    if (rc == ENVELOPE_OK && result) {
        *result = r;
        r = NULL;
    }
    envelope_result_free(r);
    if (fd >= 0)
        close(fd);
    out_dir_abort(&d);
    return rc;
}

envelope_rc envelope_open_mem(envelope_ctx *ctx, const envelope_open_opts *opts,
                              const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len,
                              envelope_result **result)
{
    struct mem_reader r = {in, in_len};
    struct bytes b = {.secret = 1};
    struct source src = {mem_read, &r};
    struct sink msg = {bytes_write, &b};
    envelope_rc rc;

    if (result)
        *result = NULL;
    if (out == NULL || out_len == NULL || (in == NULL && in_len != 0))
        return fail(ctx, ENVELOPE_E_INVALID_ARGUMENT, "no input or output");
    *out = NULL;
    *out_len = 0;
    /* Allocated up front so that an empty message comes back as a
     * zero-length buffer: NULL is what *out holds on failure. */
    if ((b.p = malloc(1)) == NULL)
        return fail(ctx, ENVELOPE_E_NOMEM, "message buffer");
    b.cap = 1;
    if ((rc = open_into(ctx, opts, &src, &msg, NULL, result)) == ENVELOPE_OK)
        *out = bytes_steal(&b, out_len);
    bytes_free(&b);
    return rc;
}
