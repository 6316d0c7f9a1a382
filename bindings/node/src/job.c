/* A job's life: made on the JavaScript thread, run on a worker thread with
 * that thread's context, freed once its promise has settled. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "addon.h"

nd_job *job_new(nd_kind kind)
{
    nd_job *job = calloc(1, sizeof(*job));

    if (job != NULL)
        job->kind = kind;
    return job;
}

void keyspec_clear(nd_keyspec *spec)
{
    free(spec->ref);
    envelope_key_free(spec->key);
    envelope_keys_free(spec->list, spec->n_list);
    memset(spec, 0, sizeof(*spec));
}

void keylist_clear(nd_keylist *list)
{
    size_t i;

    for (i = 0; i < list->n; i++)
        keyspec_clear(&list->specs[i]);
    free(list->specs);
    list->specs = NULL;
    list->n = 0;
}

/* The inputs that may be secret (a message to seal, a passphrase) are
 * wiped as soon as the job has run. */
static void wipe_inputs(nd_job *job)
{
    if (job->in != NULL) {
        explicit_bzero(job->in, job->in_len);
        free(job->in);
        job->in = NULL;
    }
    if (job->passphrase != NULL) {
        explicit_bzero(job->passphrase, job->passphrase_len);
        free(job->passphrase);
        job->passphrase = NULL;
    }
}

void job_free(nd_job *job)
{
    if (job == NULL)
        return;
    wipe_inputs(job);
    free(job->in_path);
    free(job->out_path);
    keyspec_clear(&job->sign);
    keylist_clear(&job->recipients);
    keylist_clear(&job->decrypt);
    keylist_clear(&job->verify);
    free(job->name);
    envelope_key_free(job->key);
    free(job->detail);
    if (job->out_is_secret)
        envelope_free_secret(job->out, job->out_len);
    else
        envelope_free(job->out);
    envelope_result_free(job->result);
    envelope_info_free(job->info);
    envelope_key_free(job->key_out);
    free(job);
}

void job_fail(nd_job *job, envelope_rc rc, const char *fmt, ...)
{
    char text[512];
    size_t need;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    job->rc = rc;
    free(job->detail);
    /* A path may hold anything: escaped, as the library's details are. */
    need = envelope_escape(NULL, 0, text) + 1;
    if ((job->detail = malloc(need)) != NULL)
        envelope_escape(job->detail, need, text);
}

/* ------------------------------------------------------------------ keys */

static envelope_rc keyspec_load(envelope_ctx *ctx, nd_keyspec *spec)
{
    if (spec->ref == NULL || spec->key != NULL || spec->list != NULL)
        return ENVELOPE_OK;
    return envelope_keys_load(ctx, spec->ref, NULL, NULL, &spec->list, &spec->n_list);
}

static size_t keyspec_count(const nd_keyspec *spec)
{
    return spec->list != NULL ? spec->n_list : spec->key != NULL;
}

static envelope_key *keyspec_at(const nd_keyspec *spec, size_t i)
{
    return spec->list != NULL ? spec->list[i] : spec->key;
}

/* What a key is, for a detail: "an RSA-2048 public key". */
static void describe_key(const envelope_key *key, char *buf, size_t size)
{
    const char *which = envelope_key_is_private(key) ? "private" : "public";

    switch (envelope_key_get_kind(key)) {
    case ENVELOPE_KEY_SIGNING:
        snprintf(buf, size, "an ECDSA P-521 %s key", which);
        break;
    case ENVELOPE_KEY_ENCRYPTION:
        snprintf(buf, size, "an RSA-%u %s key", envelope_key_bits(key), which);
        break;
    default:
        snprintf(buf, size, "a KMS key");
    }
}

/* The option setters take no context, so their failures get a detail here:
 * the context's would be that of an earlier call. role[i] names the key as
 * the caller gave it; k of n, within a file that held several. */
static envelope_rc key_refused(nd_job *job, envelope_rc rc, const char *role, size_t i,
                               const nd_keyspec *spec, size_t k)
{
    const envelope_key *key = keyspec_at(spec, k);
    size_t n = keyspec_count(spec);
    char what[48], place[48] = "";

    describe_key(key, what, sizeof(what));
    if (n > 1)
        snprintf(place, sizeof(place), ", key %zu of %zu", k + 1, n);
    if (spec->ref != NULL)
        job_fail(job, rc, "%s[%zu] (%s%s), %s, refused", role, i, spec->ref, place, what);
    else
        job_fail(job, rc, "%s[%zu], %s, refused", role, i, what);
    return rc;
}

typedef envelope_rc (*add_key_fn)(void *opts, envelope_key *key);

/* Loads every reference of list and hands each key to add. */
static envelope_rc keylist_add(envelope_ctx *ctx, nd_job *job, nd_keylist *list,
                               const char *role, add_key_fn add, void *opts)
{
    envelope_rc rc;
    size_t i, k;

    for (i = 0; i < list->n; i++) {
        if ((rc = keyspec_load(ctx, &list->specs[i])) != ENVELOPE_OK)
            return rc;
        for (k = 0; k < keyspec_count(&list->specs[i]); k++)
            if ((rc = add(opts, keyspec_at(&list->specs[i], k))) != ENVELOPE_OK)
                return key_refused(job, rc, role, i, &list->specs[i], k);
    }
    return ENVELOPE_OK;
}

static envelope_rc add_recipient(void *opts, envelope_key *key)
{
    return envelope_seal_opts_add_recipient(opts, key);
}

static envelope_rc add_decrypt(void *opts, envelope_key *key)
{
    return envelope_open_opts_add_decrypt_key(opts, key);
}

static envelope_rc add_trusted(void *opts, envelope_key *key)
{
    return envelope_open_opts_add_trusted_key(opts, key);
}

/* The one signing key a seal needs: a reference to several is refused, as
 * the library refuses it. */
static envelope_rc set_sign_key(envelope_ctx *ctx, nd_job *job, envelope_seal_opts *opts)
{
    nd_keyspec *spec = &job->sign;
    envelope_rc rc;

    if (spec->ref != NULL && spec->key == NULL &&
        (rc = envelope_key_load(ctx, spec->ref, NULL, NULL, &spec->key)) != ENVELOPE_OK)
        return rc;
    if ((rc = envelope_seal_opts_set_sign_key(opts, spec->key)) != ENVELOPE_OK) {
        char what[48];

        describe_key(spec->key, what, sizeof(what));
        job_fail(job, rc, "signKey%s%s%s, %s, refused", spec->ref ? " (" : "",
                 spec->ref ? spec->ref : "", spec->ref ? ")" : "", what);
    }
    return rc;
}

static envelope_rc set_name(nd_job *job, envelope_seal_opts *opts)
{
    const char *rule;
    envelope_rc rc;

    if (job->name == NULL || (rc = envelope_seal_opts_set_name(opts, job->name)) == ENVELOPE_OK)
        return ENVELOPE_OK;
    rule = envelope_message_name_rule(job->name);
    job_fail(job, rc, "a message name %s", rule != NULL ? rule : "could not be set");
    return rc;
}

static envelope_rc new_opts_failed(nd_job *job, envelope_rc rc)
{
    job_fail(job, rc, "no memory for the options");
    return rc;
}

/* --------------------------------------------------------------- inputs */

static envelope_rc open_input(nd_job *job, int *fd)
{
    if ((*fd = open(job->in_path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) >= 0)
        return ENVELOPE_OK;
    /* A FIFO's open waits for a writer; only the pool's wake-up at clean-up
     * interrupts it (pool.c). */
    if (errno == EINTR) {
        job_fail(job, ENVELOPE_E_CANCELLED, "interrupted opening %s", job->in_path);
        return ENVELOPE_E_CANCELLED;
    }
    job_fail(job, ENVELOPE_E_IO, "cannot open %s: %s", job->in_path, strerror(errno));
    return ENVELOPE_E_IO;
}

/* The start of an envelope held in memory, as a descriptor for inspect: a
 * file of the Buffer's whole size, so that the library works out the
 * payload's size (none for armor) as for the file itself. The rest is a
 * hole, which only an armored header reaching past ND_HEADER_MAX would
 * read. */
static envelope_rc memory_input(nd_job *job, int *fd)
{
    size_t done = 0;
    ssize_t n;

    if ((*fd = memfd_create("envelope-inspect", MFD_CLOEXEC)) < 0) {
        job_fail(job, ENVELOPE_E_IO, "memfd_create: %s", strerror(errno));
        return ENVELOPE_E_IO;
    }
    while (done < job->in_len) {
        if ((n = write(*fd, job->in + done, job->in_len - done)) < 0 && errno != EINTR) {
            job_fail(job, ENVELOPE_E_IO, "writing to a memfd: %s", strerror(errno));
            return ENVELOPE_E_IO;
        }
        if (n > 0)
            done += (size_t)n;
    }
    if (ftruncate(*fd, (off_t)job->in_total) != 0) {
        job_fail(job, ENVELOPE_E_IO, "ftruncate on a memfd: %s", strerror(errno));
        return ENVELOPE_E_IO;
    }
    if (lseek(*fd, 0, SEEK_SET) != 0) {
        job_fail(job, ENVELOPE_E_IO, "lseek on a memfd: %s", strerror(errno));
        return ENVELOPE_E_IO;
    }
    return ENVELOPE_OK;
}

/* ------------------------------------------------------------- the jobs */

static envelope_rc run_seal(nd_job *job, envelope_ctx *ctx)
{
    envelope_seal_opts *opts = NULL;
    int fd = -1;
    envelope_rc rc;

    if ((rc = envelope_seal_opts_new(&opts)) != ENVELOPE_OK) {
        rc = new_opts_failed(job, rc);
        goto out;
    }
    if ((rc = set_sign_key(ctx, job, opts)) != ENVELOPE_OK ||
        (rc = keylist_add(ctx, job, &job->recipients, "recipients", add_recipient, opts)) !=
            ENVELOPE_OK ||
        (rc = set_name(job, opts)) != ENVELOPE_OK)
        goto out;
    if ((rc = envelope_seal_opts_set_hide_recipients(opts, job->hide_recipients)) !=
        ENVELOPE_OK) {
        job_fail(job, rc, "hideRecipients: refused");
        goto out;
    }
    if (job->kind == ND_SEAL) {
        rc = envelope_seal_mem(ctx, opts, job->in, job->in_len, &job->out, &job->out_len);
        goto out;
    }
    if ((rc = open_input(job, &fd)) != ENVELOPE_OK)
        goto out;
    rc = envelope_seal_file(ctx, opts, fd, job->out_path, job->force);
out:
    if (fd >= 0)
        close(fd);
    envelope_seal_opts_free(opts);
    return rc;
}

static envelope_rc run_open(nd_job *job, envelope_ctx *ctx)
{
    envelope_open_opts *opts = NULL;
    int fd = -1;
    envelope_rc rc;

    if ((rc = envelope_open_opts_new(&opts)) != ENVELOPE_OK) {
        rc = new_opts_failed(job, rc);
        goto out;
    }
    if ((rc = keylist_add(ctx, job, &job->decrypt, "decryptKeys", add_decrypt, opts)) !=
            ENVELOPE_OK ||
        (rc = keylist_add(ctx, job, &job->verify, "verifyKeys", add_trusted, opts)) !=
            ENVELOPE_OK)
        goto out;
    if ((rc = envelope_open_opts_set_max_size(opts, job->max_size)) != ENVELOPE_OK) {
        job_fail(job, rc, "maxSize %llu: refused", (unsigned long long)job->max_size);
        goto out;
    }
    if ((rc = envelope_open_opts_set_max_age(opts, job->max_age)) != ENVELOPE_OK) {
        job_fail(job, rc, "maxAge %llu: refused", (unsigned long long)job->max_age);
        goto out;
    }
    if (job->max_skew_set &&
        (rc = envelope_open_opts_set_max_skew(opts, job->max_skew)) != ENVELOPE_OK) {
        job_fail(job, rc, "maxSkew %llu: at most %d seconds", (unsigned long long)job->max_skew,
                 ENVELOPE_MAX_SKEW_LIMIT);
        goto out;
    }
    if ((rc = envelope_open_opts_set_allow_compat(opts, job->allow_compat)) != ENVELOPE_OK) {
        job_fail(job, rc, "allowCompat: refused");
        goto out;
    }
    if (job->kind == ND_OPEN) {
        job->out_is_secret = 1;
        rc = envelope_open_mem(ctx, opts, job->in, job->in_len, &job->out, &job->out_len,
                               &job->result);
        goto out;
    }
    if ((rc = open_input(job, &fd)) != ENVELOPE_OK)
        goto out;
    if (job->kind == ND_OPEN_EXTRACT)
        rc = envelope_open_extract(ctx, opts, fd, job->out_path, &job->result);
    else
        rc = envelope_open_file(ctx, opts, fd, job->out_path, job->force, &job->result);
out:
    if (fd >= 0)
        close(fd);
    envelope_open_opts_free(opts);
    return rc;
}

static envelope_rc run_inspect(nd_job *job, envelope_ctx *ctx)
{
    int fd = -1;
    envelope_rc rc;

    rc = job->in_is_memory ? memory_input(job, &fd) : open_input(job, &fd);
    if (rc == ENVELOPE_OK)
        rc = envelope_inspect_fd(ctx, fd, &job->info);
    if (fd >= 0)
        close(fd);
    return rc;
}

static int give_passphrase(void *arg, char *buf, size_t size)
{
    nd_job *job = arg;

    if (job->passphrase_len > size || job->passphrase_len > 0x7fffffff)
        return -1;
    memcpy(buf, job->passphrase, job->passphrase_len);
    return (int)job->passphrase_len;
}

static envelope_rc run_key_load(nd_job *job, envelope_ctx *ctx)
{
    envelope_passphrase_fn fn = job->passphrase != NULL ? give_passphrase : NULL;

    if (job->in_is_memory)
        return envelope_key_from_memory(ctx, job->in, job->in_len, fn, job, &job->key_out);
    return envelope_key_load(ctx, job->in_path, fn, job, &job->key_out);
}

void job_run(nd_job *job, envelope_ctx *ctx)
{
    envelope_rc rc = ENVELOPE_E_INTERNAL;

    switch (job->kind) {
    case ND_SEAL:
    case ND_SEAL_FILE:
        rc = run_seal(job, ctx);
        break;
    case ND_OPEN:
    case ND_OPEN_FILE:
    case ND_OPEN_EXTRACT:
        rc = run_open(job, ctx);
        break;
    case ND_INSPECT:
        rc = run_inspect(job, ctx);
        break;
    case ND_KEY_LOAD:
        rc = run_key_load(job, ctx);
        break;
    case ND_KEY_FINGERPRINT:
        rc = envelope_key_fingerprint(ctx, job->key, job->fingerprint);
        break;
    case ND_KEY_PUBLIC_PEM:
        rc = envelope_key_public_pem(ctx, job->key, &job->out, &job->out_len);
        break;
    }
    wipe_inputs(job);
    if (rc != ENVELOPE_OK && job->detail == NULL)
        job->detail = strdup(envelope_ctx_detail(ctx));
    job->rc = rc;
}
