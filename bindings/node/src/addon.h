/* The Node.js addon over libenvelope: shared declarations.
 *
 * A call from JavaScript copies its arguments into a job (nd_job), queues it
 * on the binding's own pool of worker threads (pool.c), each with its own
 * envelope_ctx, and returns a promise. The worker runs the job (job.c); the
 * job then goes back to the JavaScript thread through a thread-safe
 * function, which settles the promise (settle.c) and frees the job. */
#ifndef ND_ADDON_H
#define ND_ADDON_H

#define NAPI_VERSION 8
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

#include <envelope.h>

/* Keys to use in a job: a Key's handle, or a reference to load on the worker
 * (a path or awskms://...), which may give several keys (a file of public
 * keys). Every key held is one reference, dropped by keyspec_clear. */
typedef struct nd_keyspec {
    char *ref;           /* to load on the worker, or NULL */
    envelope_key *key;   /* a Key's handle, or the one key loaded */
    envelope_key **list; /* the keys a reference to several held (envelope_keys_load) */
    size_t n_list;
} nd_keyspec;

typedef struct nd_keylist {
    nd_keyspec *specs;
    size_t n;
} nd_keylist;

typedef enum nd_kind {
    ND_SEAL,
    ND_OPEN,
    ND_SEAL_FILE,
    ND_OPEN_FILE,
    ND_OPEN_EXTRACT,
    ND_INSPECT,
    ND_KEY_LOAD,
    ND_KEY_FINGERPRINT,
    ND_KEY_PUBLIC_PEM,
} nd_kind;

typedef struct nd_job {
    nd_kind kind;
    napi_deferred deferred;
    struct nd_job *next; /* the pool's queue */

    /* inputs, owned by the job */
    uint8_t *in; /* a copy of the caller's Buffer (wiped: it may be a message) */
    size_t in_len;
    size_t in_total;   /* inspect: the Buffer's length, of which in holds the start */
    int in_is_memory;  /* inspect, key load: in holds the bytes, not in_path */
    char *in_path;
    char *out_path;
    int force;
    nd_keyspec sign;
    nd_keylist recipients;
    nd_keylist decrypt;
    nd_keylist verify;
    char *name; /* NULL: the library's default */
    int hide_recipients;
    uint64_t max_size;
    uint64_t max_age;
    int max_skew_set; /* else the library's default */
    uint64_t max_skew;
    int allow_compat;
    char *passphrase; /* wiped */
    size_t passphrase_len;
    envelope_key *key; /* the key a key job asks about (a held reference) */

    /* outputs */
    envelope_rc rc;
    char *detail;      /* the context's detail when rc fails (already escaped) */
    uint8_t *out;      /* envelope or opened message (wiped when secret) */
    size_t out_len;
    int out_is_secret;
    envelope_result *result;
    envelope_info *info;
    envelope_key *key_out; /* a loaded key (a held reference) */
    char fingerprint[ENVELOPE_FINGERPRINT_SIZE];
} nd_job;

/* The most of an envelope inspect needs: the largest header (docs/FORMAT.md). */
#define ND_HEADER_MAX 65536

/* job.c */
nd_job *job_new(nd_kind kind);
void job_free(nd_job *job);
void job_run(nd_job *job, envelope_ctx *ctx);
void keyspec_clear(nd_keyspec *spec);
void keylist_clear(nd_keylist *list);
/* Records a failure made by the binding itself, with its detail. */
void job_fail(nd_job *job, envelope_rc rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* pool.c: one per Node environment (the main thread, each worker_thread). */
typedef struct nd_pool nd_pool;
napi_status pool_create(napi_env env, nd_pool **out);
/* Queues job (whose promise is settled later); on failure the caller still
 * owns the job. */
napi_status pool_submit(napi_env env, nd_pool *pool, nd_job *job);
unsigned pool_threads(const nd_pool *pool);

/* settle.c: on the JavaScript thread, once the job has run. */
void settle(napi_env env, nd_job *job);

/* args.c: copying JavaScript values into a job. Each returns napi_ok, or
 * napi_pending_exception with a TypeError thrown. */
napi_status arg_buffer_copy(napi_env env, napi_value v, const char *what, uint8_t **out,
                            size_t *len);
/* The same for at most the first max bytes; *total: the Buffer's length. */
napi_status arg_buffer_head(napi_env env, napi_value v, const char *what, size_t max,
                            uint8_t **out, size_t *len, size_t *total);
napi_status arg_string(napi_env env, napi_value v, const char *what, char **out);
napi_status arg_keyspec(napi_env env, napi_value v, const char *what, nd_keyspec *spec);
napi_status arg_keylist(napi_env env, napi_value v, const char *what, nd_keylist *list);
napi_status arg_get(napi_env env, napi_value obj, const char *name, napi_value *out,
                    int *present);
napi_status arg_uint64(napi_env env, napi_value v, const char *what, uint64_t *out);
napi_status arg_bool(napi_env env, napi_value v, const char *what, int *out);

/* key_handle.c: the object a Key holds, owning one reference. */
napi_status key_handle_new(napi_env env, envelope_key *key, napi_value *out);
/* Drops the handle's reference now (a private key's memory is wiped once no
 * running job holds one); the handle is then no key. Idempotent. */
napi_status key_handle_close(napi_env env, napi_value v);
/* The key behind a handle (borrowed), or NULL if v is not one (or closed). */
envelope_key *key_handle_get(napi_env env, napi_value v);

#endif
