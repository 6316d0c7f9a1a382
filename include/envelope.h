/*
 * libenvelope: sign-then-encrypt envelopes.
 *
 * A sender signs a message with an ECDSA P-521 key and encrypts it to one or
 * more RSA keys (RSA-OAEP-SHA-256); a receiver decrypts and verifies. Keys are
 * local (PEM/DER) or live in AWS KMS (awskms:// references). docs/FORMAT.md
 * specifies the bytes; docs/KEYS.md the key references and KMS set-up.
 *
 * Conventions, for every function below unless it says otherwise:
 *
 *  - Functions that can fail return an envelope_rc; ENVELOPE_OK is 0. The
 *    reason in words is envelope_strerror(rc); the specifics of the last
 *    failure (which file, which key, what OpenSSL or KMS said) are in
 *    envelope_ctx_detail(ctx). Neither ever contains key material.
 *  - Out-parameters are set to NULL / 0 on entry, so they hold a failure value
 *    whenever the call fails.
 *  - Every setter (envelope_*_set_* and envelope_*_add_*) returns an
 *    envelope_rc: ENVELOPE_OK, or ENVELOPE_E_INVALID_ARGUMENT for a NULL
 *    object, or what its comment names for a value it refuses; a setter
 *    that fails leaves the object unchanged. Those that can refuse a value
 *    are marked ENVELOPE_MUST_CHECK; those that fail only on NULL are not,
 *    so that code written when they returned void builds without warnings.
 *  - Memory the library returns through a uint8_t ** is freed with
 *    envelope_free(); opened messages with envelope_free_secret().
 *  - An envelope_ctx belongs to one thread at a time. Keys are immutable once
 *    loaded and may be used from many threads at once, each with its own
 *    context. Option and result objects belong to one thread at a time.
 *  - The library never prints, exits or aborts, and never writes plaintext
 *    anywhere a caller can see it before the signature and every other check
 *    have passed.
 */
#ifndef ENVELOPE_H
#define ENVELOPE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define ENVELOPE_API __attribute__((visibility("default")))
#define ENVELOPE_MUST_CHECK __attribute__((warn_unused_result))
#else
#define ENVELOPE_API
#define ENVELOPE_MUST_CHECK
#endif

/* ---------------------------------------------------------------- version */

#define ENVELOPE_VERSION_MAJOR 0
#define ENVELOPE_VERSION_MINOR 1
#define ENVELOPE_VERSION_PATCH 0
#define ENVELOPE_VERSION_STRING "0.1.0"
/* 0xMMmmpp: compare with envelope_version_number() to detect a mismatch
 * between the header a program was built with and the library it runs on. */
#define ENVELOPE_VERSION_NUMBER                                                \
    ((ENVELOPE_VERSION_MAJOR << 16) | (ENVELOPE_VERSION_MINOR << 8) |          \
     ENVELOPE_VERSION_PATCH)

ENVELOPE_API const char *envelope_version(void);
ENVELOPE_API unsigned long envelope_version_number(void);

/* ----------------------------------------------------------------- errors */

/* Stable numbers: appended to, never renumbered. */
typedef enum envelope_rc {
    ENVELOPE_OK = 0,
    ENVELOPE_E_INTERNAL = 1,          /* a bug, or OpenSSL failed unexpectedly */
    ENVELOPE_E_NOMEM = 2,             /* out of memory */
    ENVELOPE_E_INVALID_ARGUMENT = 3,  /* NULL where an object is needed, bad option */
    ENVELOPE_E_IO = 4,                /* reading the input or writing the output failed */
    ENVELOPE_E_OUTPUT_EXISTS = 5,     /* the output exists and force was not set */
    ENVELOPE_E_KEY_LOAD = 6,          /* key unreadable, not a key, or not PEM/DER */
    ENVELOPE_E_KEY_PASSPHRASE = 7,    /* encrypted key: passphrase missing or wrong */
    ENVELOPE_E_KEY_TYPE = 8,          /* wrong algorithm or size for this use */
    ENVELOPE_E_KEY_NOT_PRIVATE = 9,   /* a public key where a private one is needed */
    ENVELOPE_E_BAD_NAME = 10,         /* message name breaks the rules (seal) */
    ENVELOPE_E_TOO_MANY_RECIPIENTS = 11, /* none, or more than 16, or manifest too big */
    ENVELOPE_E_NOT_ENVELOPE = 12,     /* no envelope magic, damaged armor, text... */
    ENVELOPE_E_UNKNOWN_VERSION = 13,  /* magic fine; version, suite or flags unknown */
    ENVELOPE_E_BAD_HEADER = 14,       /* header malformed: a length or field out of bounds */
    ENVELOPE_E_NOT_RECIPIENT = 15,    /* no stanza unwraps with the decrypt key */
    ENVELOPE_E_TAMPERED = 16,         /* a chunk failed authentication */
    ENVELOPE_E_TRUNCATED = 17,        /* the input ends before the final chunk */
    ENVELOPE_E_TRAILING_DATA = 18,    /* bytes after the final chunk */
    ENVELOPE_E_BAD_ARCHIVE = 19,      /* inner tar breaks the entry rules */
    ENVELOPE_E_UNTRUSTED_SIGNER = 20, /* manifest.sig verifies under no trusted key */
    ENVELOPE_E_BAD_MANIFEST = 21,     /* signed manifest malformed */
    ENVELOPE_E_FORWARDED = 22,        /* manifest signed for another header */
    ENVELOPE_E_MESSAGE_MISMATCH = 23, /* message name, size or SHA-512 differ from manifest */
    ENVELOPE_E_TOO_LARGE = 24,        /* message over the caller's maximum size */
    ENVELOPE_E_TOO_OLD = 25,          /* older than the maximum age, or from the future */
    ENVELOPE_E_COMPAT_REFUSED = 26,   /* compat envelope, and compat not allowed */
    ENVELOPE_E_COMPAT_TOO_LARGE = 27, /* message does not fit the compat format */
    ENVELOPE_E_CANCELLED = 28,        /* the progress callback or envelope_cancel() stopped it */
    ENVELOPE_E_UNSUPPORTED = 29,      /* feature not available in this build or setup */
    ENVELOPE_E_KMS = 30,              /* KMS said no, for a reason without a code below */
    ENVELOPE_E_KMS_ACCESS_DENIED = 31,
    ENVELOPE_E_KMS_NOT_FOUND = 32,
    ENVELOPE_E_KMS_DISABLED = 33,
    ENVELOPE_E_KMS_KEY_USAGE = 34,    /* key cannot do this (InvalidKeyUsage, wrong spec) */
    ENVELOPE_E_KMS_AUTH = 35,         /* request not authenticated: credentials rejected */
    ENVELOPE_E_KMS_THROTTLED = 36,    /* still throttled after every retry */
    ENVELOPE_E_KMS_UNAVAILABLE = 37,  /* KMS internal error / 5xx after every retry */
    ENVELOPE_E_KMS_BAD_RESPONSE = 38, /* response malformed */
    ENVELOPE_E_NETWORK = 39,          /* DNS, connect, connection reset */
    ENVELOPE_E_TLS = 40,              /* TLS handshake or certificate verification */
    ENVELOPE_E_TIMEOUT = 41,
    ENVELOPE_E_CREDENTIALS = 42,      /* no credentials found, or a source failed */
    ENVELOPE_E_KEY_REF = 43,          /* key reference malformed */
} envelope_rc;

/* A fixed English sentence for rc; never NULL. */
ENVELOPE_API const char *envelope_strerror(envelope_rc rc);
/* The enumerator's name without the prefix ("TAMPERED"); never NULL. */
ENVELOPE_API const char *envelope_rc_name(envelope_rc rc);

/* ---------------------------------------------------------------- context */

typedef struct envelope_ctx envelope_ctx;

/* A context holds the detail of the last failure and, once a KMS key is used,
 * the HTTPS connection and the AWS credentials (public keys fetched from KMS
 * are cached in the keys, which threads share). One per thread. It also
 * keeps the OpenSSL algorithms it first used (SHA-2, AES-GCM, HKDF), fetched
 * from the default library context with the properties of that moment: a
 * program that changes OpenSSL's providers or default properties (a FIPS
 * switch) does so before it makes its contexts, or makes new ones. */
ENVELOPE_API ENVELOPE_MUST_CHECK envelope_rc envelope_ctx_new(envelope_ctx **out);
/* Frees and wipes everything the context owns. NULL is a no-op. */
ENVELOPE_API void envelope_ctx_free(envelope_ctx *ctx);
/* The detail of the last failure on this context ("" if none), escaped as
 * envelope_escape() does: safe to print. Valid until the next call with
 * this context. */
ENVELOPE_API const char *envelope_ctx_detail(const envelope_ctx *ctx);
/* Copies text into out in a form that is safe to print on a terminal, as
 * every detail is: a byte that is not part of valid UTF-8, a C0 control or
 * DEL becomes \xXX; a C1 control (U+0080-U+009F), a line or paragraph
 * separator (U+2028, U+2029) or a bidirectional control (U+061C, U+200E,
 * U+200F, U+202A-U+202E, U+2066-U+2069) becomes \u{XXXX}; anything else is
 * kept. A backslash is kept too, so that escaping twice changes nothing.
 * Writes at most size bytes, NUL included (nothing when size is 0), and
 * stops before the first escape or character that does not fit whole.
 * Returns the length of the whole escaped text, as snprintf() does: if it
 * is size or more, out was cut. text NULL reads as "". Thread-safe. Names in
 * an envelope, such as envelope_result_name(), may hold any of these. */
ENVELOPE_API size_t envelope_escape(char *out, size_t size, const char *text);
/* Stops the calls running on ctx, and refuses later ones, with
 * ENVELOPE_E_CANCELLED ("interrupted"): each removes what it created, as
 * on any failure. Async-signal-safe: meant for a signal handler.
 * Cancellation is checked before every read of the input and of a spool,
 * and when a read fails with EINTR. Otherwise a read that a signal
 * interrupts (EINTR, from a descriptor or from a read callback that
 * returns -1 with errno EINTR) is retried: a handler installed with
 * SA_RESTART never makes a read return, so one that means to stop a call
 * blocked on its input installs itself without SA_RESTART and calls this.
 * A cancelled context stays cancelled; free it. */
ENVELOPE_API void envelope_cancel(envelope_ctx *ctx);

/* Frees memory returned by the library. NULL is a no-op. */
ENVELOPE_API void envelope_free(void *p);
/* Wipes len bytes, then frees: for opened messages and private keys. */
ENVELOPE_API void envelope_free_secret(void *p, size_t len);

/* KMS limits for this context's calls, in milliseconds. connect_ms bounds
 * each connection (TCP and TLS handshake); total_ms bounds a whole KMS
 * call, its retries and the waits between them included: past it the call
 * fails with ENVELOPE_E_TIMEOUT. 0 keeps the default: the variables
 * ENVELOPE_KMS_CONNECT_TIMEOUT_MS and ENVELOPE_KMS_TIMEOUT_MS, else 5000
 * and 30000 (docs/KEYS.md). At most 3600000 each, else
 * ENVELOPE_E_INVALID_ARGUMENT and nothing changes. Takes effect at the
 * next KMS call; makes no call itself. */
ENVELOPE_API ENVELOPE_MUST_CHECK envelope_rc
envelope_ctx_set_kms_timeouts(envelope_ctx *ctx, unsigned long connect_ms,
                              unsigned long total_ms);
/* Attempts per KMS call, the first included: 1 (never retry) to 10. 0
 * keeps the default: AWS_MAX_ATTEMPTS, else the profile's max_attempts,
 * else 3. Throttling, KMS internal errors, HTTP 500/502/503/504 and
 * connection failures are retried with capped exponential backoff and
 * jitter; other errors never are. In the standard retry mode (the
 * default; AWS_RETRY_MODE or the profile's retry_mode) retries also draw
 * on the context's retry quota (docs/KEYS.md). ENVELOPE_E_INVALID_ARGUMENT
 * above 10. */
ENVELOPE_API ENVELOPE_MUST_CHECK envelope_rc
envelope_ctx_set_kms_max_attempts(envelope_ctx *ctx, unsigned n);

/* Ends at once (SIGKILL) every credential_process command the library is
 * running, in any context or thread: its process group when it runs
 * without a controlling terminal, else the command itself. The call that
 * ran it then fails with ENVELOPE_E_CREDENTIALS. Async-signal-safe, for a
 * program's SIGINT/SIGTERM handler before it exits:
 *     static void on_signal(int sig) { envelope_kill_helpers(); ... }
 * Never signals the caller's own process group. */
ENVELOPE_API void envelope_kill_helpers(void);

/* -------------------------------------------------------------------- keys */

typedef struct envelope_key envelope_key;

typedef enum envelope_key_kind {
    ENVELOPE_KEY_SIGNING = 1,    /* ECDSA P-521: signs (private) or verifies */
    ENVELOPE_KEY_ENCRYPTION = 2, /* RSA 2048/3072/4096: unwraps (private) or wraps */
} envelope_key_kind;

/* Writes the passphrase of an encrypted key into buf (at most size bytes) and
 * returns its length, or -1 to give up. The library wipes buf after use. */
typedef int (*envelope_passphrase_fn)(void *arg, char *buf, size_t size);

/* Loads a key from a reference: a path, "file:PATH" (PEM or DER; private
 * PKCS#8 or traditional, or public SubjectPublicKeyInfo), or an awskms://
 * reference (docs/KEYS.md). passphrase may be NULL for unencrypted keys.
 * The key may be used only as its kind allows: P-521 keys sign and verify,
 * RSA keys of 2048, 3072 or 4096 bits wrap and unwrap. */
ENVELOPE_API ENVELOPE_MUST_CHECK envelope_rc
envelope_key_load(envelope_ctx *ctx, const char *ref, envelope_passphrase_fn passphrase,
                  void *passphrase_arg, envelope_key **out);
/* The same from memory: PEM or DER, detected. The bytes are copied. */
ENVELOPE_API ENVELOPE_MUST_CHECK envelope_rc
envelope_key_from_memory(envelope_ctx *ctx, const uint8_t *data, size_t len,
                         envelope_passphrase_fn passphrase, void *passphrase_arg,
                         envelope_key **out);
/* Every key behind a reference, in file order, for files that hold several
 * public keys (`cat alice.pub bob.pub > team.pub`): each PEM block is one
 * key; an "EC PARAMETERS" block naming P-521 (as `openssl ecparam -genkey`
 * writes before the key) is skipped. A private key must be the file's only
 * key; a file that mixes it with other keys, holds any other block, holds
 * no key, or has a block that does not load fails, the detail naming the
 * file and the block's number (from 1). A DER file or an awskms://
 * reference gives one key. On success *keys is an array of *n >= 1 keys
 * that the caller owns: release it with envelope_keys_free(). On failure
 * *keys is NULL and *n is 0. envelope_key_load() and
 * envelope_key_from_memory() read the same forms and fail with
 * ENVELOPE_E_KEY_LOAD when there is more than one key. */
ENVELOPE_API ENVELOPE_MUST_CHECK envelope_rc
envelope_keys_load(envelope_ctx *ctx, const char *ref, envelope_passphrase_fn passphrase,
                   void *passphrase_arg, envelope_key ***keys, size_t *n);
/* Drops a reference to each of the n keys (envelope_key_free()), then frees
 * the array. NULL is a no-op. */
ENVELOPE_API void envelope_keys_free(envelope_key **keys, size_t n);
/* A fresh private key: P-521 for ENVELOPE_KEY_SIGNING (bits must be 0), RSA
 * with bits 2048, 3072 or 4096 for ENVELOPE_KEY_ENCRYPTION (0 means 4096). */
ENVELOPE_API ENVELOPE_MUST_CHECK envelope_rc
envelope_key_generate(envelope_ctx *ctx, envelope_key_kind kind, unsigned bits,
                      envelope_key **out);
/* Keys are reference counted: _ref adds one, _free drops one and frees (and
 * wipes) at zero. Both are thread-safe. NULL is a no-op. */
ENVELOPE_API envelope_key *envelope_key_ref(envelope_key *key);
ENVELOPE_API void envelope_key_free(envelope_key *key);

/* The key's kind; 0 for a KMS key whose kind is not known yet (it is learnt
 * at first use, or from GetPublicKey where the caller may call it). */
ENVELOPE_API envelope_key_kind envelope_key_get_kind(const envelope_key *key);
/* 1 if the key can sign or unwrap (a local private key or a KMS key). */
ENVELOPE_API int envelope_key_is_private(const envelope_key *key);
/* RSA modulus bits, or 521 for P-521; 0 while a KMS key's kind is unknown. */
ENVELOPE_API unsigned envelope_key_bits(const envelope_key *key);

/* A KMS key's ARN ("arn:aws:kms:REGION:ACCOUNT:key/ID"), once known: from
 * the reference itself when it is a key ARN, else from KMS's answer to the
 * key's first use (or to envelope_key_fingerprint and the public key
 * calls, when they call GetPublicKey); NULL until then, and NULL for a
 * local key. Makes no call. Once known it never changes: the string lives
 * as long as the key, and may be read from any thread while others use
 * the key. With envelope_key_fingerprint() it matches a recipient that an
 * envelope names only by its ARN (a sender without GetPublicKey). */
ENVELOPE_API const char *envelope_key_arn(const envelope_key *key);

/* "sha256:" + 64 lowercase hex digits + NUL */
#define ENVELOPE_FINGERPRINT_SIZE 72
ENVELOPE_API size_t envelope_fingerprint_size(void);
/* SHA-256 of the key's SubjectPublicKeyInfo DER. For a KMS key this may call
 * GetPublicKey. */
ENVELOPE_API ENVELOPE_MUST_CHECK envelope_rc
envelope_key_fingerprint(envelope_ctx *ctx, const envelope_key *key,
                         char out[ENVELOPE_FINGERPRINT_SIZE]);
/* The public key as SPKI PEM (NUL-terminated; *out_len excludes the NUL) or
 * DER. Free with envelope_free(). */
ENVELOPE_API ENVELOPE_MUST_CHECK envelope_rc
envelope_key_public_pem(envelope_ctx *ctx, const envelope_key *key, uint8_t **out,
                        size_t *out_len);
ENVELOPE_API ENVELOPE_MUST_CHECK envelope_rc
envelope_key_public_der(envelope_ctx *ctx, const envelope_key *key, uint8_t **out,
                        size_t *out_len);
/* A local private key as PKCS#8 PEM. When passphrase is not NULL it is
 * encrypted (PBES2): AES-256-CBC with a key derived by PBKDF2-HMAC-SHA-256,
 * 600,000 iterations and a random 16-byte salt (docs/KEYS.md); writing
 * and each load then take a fraction of a second. Free with
 * envelope_free_secret(). */
ENVELOPE_API ENVELOPE_MUST_CHECK envelope_rc
envelope_key_private_pem(envelope_ctx *ctx, const envelope_key *key,
                         const char *passphrase, size_t passphrase_len, uint8_t **out,
                         size_t *out_len);

/* ------------------------------------------------------------ I/O callbacks */

/* Reads up to len bytes into buf: returns the count, 0 at the end, -1 on
 * error. -1 with errno set to EINTR by this call means "interrupted, call
 * again" (see envelope_cancel). */
typedef ssize_t (*envelope_read_fn)(void *arg, uint8_t *buf, size_t len);
/* Writes all len bytes: returns 0, or -1 on error. */
typedef int (*envelope_write_fn)(void *arg, const uint8_t *buf, size_t len);
/* Called as bytes of the message are processed; total is 0 when unknown.
 * Return non-zero to cancel (ENVELOPE_E_CANCELLED). */
typedef int (*envelope_progress_fn)(void *arg, uint64_t done, uint64_t total);

typedef enum envelope_format {
    ENVELOPE_FORMAT_V1 = 1,     /* docs/FORMAT.md */
    ENVELOPE_FORMAT_COMPAT = 2, /* the tutorial's message.enc (docs/COMPAT.md) */
} envelope_format;

/* ------------------------------------------------------------------- seal */

typedef struct envelope_seal_opts envelope_seal_opts;

ENVELOPE_API ENVELOPE_MUST_CHECK envelope_rc envelope_seal_opts_new(envelope_seal_opts **out);
ENVELOPE_API void envelope_seal_opts_free(envelope_seal_opts *opts);
/* The options hold a reference to each key until they are freed. */
ENVELOPE_API ENVELOPE_MUST_CHECK envelope_rc
envelope_seal_opts_set_sign_key(envelope_seal_opts *opts, envelope_key *key);
/* 1 to 16 recipients, each an ENVELOPE_KEY_ENCRYPTION key (public suffices). */
ENVELOPE_API ENVELOPE_MUST_CHECK envelope_rc
envelope_seal_opts_add_recipient(envelope_seal_opts *opts, envelope_key *key);
/* The message's name (docs/FORMAT.md, "Inner archive"); default "message". Copied. */
ENVELOPE_API ENVELOPE_MUST_CHECK envelope_rc
envelope_seal_opts_set_name(envelope_seal_opts *opts, const char *name);
/* NULL if name may name a message, else the one rule of docs/FORMAT.md,
 * "Inner archive" that it breaks, as a static phrase to follow "a message name",
 * e.g. "must not start with '.'"; the first failing rule in the order
 * length, leading '.', 'manifest.' prefix, then per character. This is what
 * makes envelope_seal_opts_set_name fail with ENVELOPE_E_BAD_NAME. */
ENVELOPE_API const char *envelope_message_name_rule(const char *name);
/* Non-zero: leave every stanza label empty (the manifest still names them). */
ENVELOPE_API envelope_rc envelope_seal_opts_set_hide_recipients(envelope_seal_opts *opts, int hide);
/* envelope_seal_file and envelope_open_file/extract flush (fsync) every
 * output before it gets its name, then its directory, so that a power loss
 * cannot leave the name on an empty file. 0 leaves the directory to the
 * caller: one writing many outputs to one directory can fsync it once after
 * the last (open it O_RDONLY | O_DIRECTORY and call fsync), and must, before
 * relying on the names. Default 1. */
ENVELOPE_API envelope_rc envelope_seal_opts_set_sync_dir(envelope_seal_opts *opts, int sync);
ENVELOPE_API ENVELOPE_MUST_CHECK envelope_rc
envelope_seal_opts_set_format(envelope_seal_opts *opts, envelope_format format);
/* Non-zero: write the envelope as ASCII armor (docs/FORMAT.md, "ASCII armor"):
 * base64 in lines of 64 characters ending in LF, between the lines
 * "-----BEGIN LIBENVELOPE ENVELOPE-----" and
 * "-----END LIBENVELOPE ENVELOPE-----", for channels that carry only text.
 * It streams: memory stays bounded whatever the message's size. Open and
 * inspect recognise armor by itself. v1 only: sealing with armor in the
 * compat format fails with ENVELOPE_E_INVALID_ARGUMENT, since the
 * tutorial's commands read only the bare ciphertext. Default 0.
 * ENVELOPE_E_INVALID_ARGUMENT when opts is NULL. */
ENVELOPE_API ENVELOPE_MUST_CHECK envelope_rc
envelope_seal_opts_set_armor(envelope_seal_opts *opts, int armor);
/* The manifest's creation time; default: now. For reproducible test vectors. */
ENVELOPE_API envelope_rc envelope_seal_opts_set_created(envelope_seal_opts *opts, time_t created);
ENVELOPE_API envelope_rc
envelope_seal_opts_set_progress(envelope_seal_opts *opts, envelope_progress_fn fn, void *arg);
/* Largest message sealed, in bytes; 0 (default) means no limit. Every seal
 * call refuses a larger message with ENVELOPE_E_TOO_LARGE before writing
 * any of the envelope; envelope_sealer_update refuses the byte that would
 * pass it, so that it also bounds a sealer's spool. (envelope_seal_fd
 * reads a pipe into its spool whole before it sees the size.) */
ENVELOPE_API envelope_rc envelope_seal_opts_set_max_size(envelope_seal_opts *opts,
                                                         uint64_t max);

/* Seals the message read from in_fd and writes the envelope to out_fd. A
 * regular file is read once, and must end where its size (fstat) said when
 * sealing began: one that grows or shrinks meanwhile fails with
 * ENVELOPE_E_IO, saying so, and is never sealed cut. A file of a pseudo file
 * system (procfs, sysfs, debugfs, ...), whose size says nothing of what
 * reading it gives, is read whole into memory first: at most 4 MiB, else
 * ENVELOPE_E_IO. Anything else (a pipe) is first read to its end into an
 * unnamed 0600 spool under $TMPDIR (a private name unlinked at once where
 * $TMPDIR lacks O_TMPFILE), because the archive needs the size up front. The
 * spool holds only ciphertext, under a random key that never leaves memory;
 * it is as large as the message, bounded only by the disk. On failure, what
 * was written to out_fd is garbage: use envelope_seal_file() for an output
 * that appears whole or not at all. */
ENVELOPE_API ENVELOPE_MUST_CHECK envelope_rc
envelope_seal_fd(envelope_ctx *ctx, const envelope_seal_opts *opts, int in_fd, int out_fd);
/* Seals in_fd into a new file at out_path (created 0644 beside it under a
 * temporary name, renamed into place on success). An existing out_path is
 * refused (ENVELOPE_E_OUTPUT_EXISTS) unless force is non-zero. */
ENVELOPE_API ENVELOPE_MUST_CHECK envelope_rc
envelope_seal_file(envelope_ctx *ctx, const envelope_seal_opts *opts, int in_fd,
                   const char *out_path, int force);
/* Memory to memory. Free *out with envelope_free(). */
ENVELOPE_API ENVELOPE_MUST_CHECK envelope_rc
envelope_seal_mem(envelope_ctx *ctx, const envelope_seal_opts *opts, const uint8_t *in,
                  size_t in_len, uint8_t **out, size_t *out_len);
/* Callbacks: read must deliver exactly in_size bytes. */
ENVELOPE_API ENVELOPE_MUST_CHECK envelope_rc
envelope_seal_cb(envelope_ctx *ctx, const envelope_seal_opts *opts, uint64_t in_size,
                 envelope_read_fn read, void *read_arg, envelope_write_fn write,
                 void *write_arg);

/* -------------------------------------------------------- incremental seal */

/* A message handed over in pieces, for a caller that cannot offer a read
 * callback (its data arrives as events) or does not know the length in
 * advance. */
typedef struct envelope_sealer envelope_sealer;

/* The size to give envelope_sealer_new when the length is not known. */
#define ENVELOPE_SIZE_UNKNOWN UINT64_MAX

/* Starts sealing a message of size bytes, or of a length not known yet
 * (ENVELOPE_SIZE_UNKNOWN); the envelope goes to write. opts is copied,
 * with a reference to each key: it may be freed or changed afterwards. ctx
 * must outlive the sealer, and is used by every call on it; a sealer
 * belongs to one thread at a time, as its context does. Two ways, chosen
 * here:
 *
 *  - Streaming: a known size in the default format. This call wraps the
 *    data key to every recipient (a KMS call for a KMS recipient) and
 *    writes the header; update encrypts the bytes and hands write each
 *    64 KiB chunk as it fills; final signs the manifest (a KMS call for a
 *    KMS signing key) and writes the rest. Memory, whatever the size:
 *    about 1.2 MiB for a message of 1 MiB or more (four 256 KiB slots
 *    hashed on a second thread), 400 KiB below (one slot), with a 64 KiB
 *    chunk and the archive writer; no temporary file; time as
 *    envelope_seal_cb, plus one copy of each byte.
 *  - Spooling: ENVELOPE_SIZE_UNKNOWN, or the compat format. update
 *    encrypts the bytes (AES-256-GCM under a random key that never leaves
 *    memory) into an unnamed 0600 spool under $TMPDIR (default /tmp; a
 *    private name unlinked at once where $TMPDIR lacks O_TMPFILE): no
 *    plaintext on disk. Nothing reaches write before final, which reads
 *    the spool back and seals it as envelope_seal_cb does. Temporary
 *    space: the message's size plus 16 bytes per 64 KiB, bounded only by
 *    envelope_seal_opts_set_max_size() (and the disk); memory: about
 *    130 KiB while spooling, then as streaming; time: each byte is also
 *    encrypted, written, read back and decrypted once more.
 *
 * A size over the maximum size fails here with ENVELOPE_E_TOO_LARGE. In
 * the compat format, so do options a compat seal refuses whatever the
 * message (not exactly one recipient, a name over 100 bytes, no
 * libarchive: ENVELOPE_E_INVALID_ARGUMENT or ENVELOPE_E_UNSUPPORTED), with
 * nothing spooled. The progress callback (envelope_seal_opts_set_progress) is called by every
 * update with the bytes given so far and the size (0 while spooling); when
 * spooled, final calls it again as envelope_seal_cb does.
 *
 * A failure, or envelope_sealer_free before final succeeded, leaves what
 * write was given unfinished: it is not an envelope, and the caller must
 * discard it, as after a failed envelope_seal_cb. Streaming, it is the
 * header and chunks none of which is marked final, which every reader
 * refuses (ENVELOPE_E_TRUNCATED); spooling, nothing, unless final failed
 * while writing. */
ENVELOPE_API ENVELOPE_MUST_CHECK envelope_rc
envelope_sealer_new(envelope_ctx *ctx, const envelope_seal_opts *opts, uint64_t size,
                    envelope_write_fn write, void *write_arg, envelope_sealer **out);
/* The next len bytes of the message; len 0 does nothing. The bytes are
 * consumed (encrypted or copied) before this returns. Fails with
 * ENVELOPE_E_INVALID_ARGUMENT, passing none of the bytes on, when they
 * would take the message past its declared size ("the message is longer
 * than the N bytes declared"), with ENVELOPE_E_TOO_LARGE past the maximum
 * size, and in the compat format with ENVELOPE_E_COMPAT_TOO_LARGE past
 * what the recipient's OAEP block holds (new refuses a declared size
 * past it the same way). After a failure every later update or final fails with the
 * same code ("an earlier call on this sealer failed"); after a successful
 * final, with ENVELOPE_E_INVALID_ARGUMENT ("the sealer has finished"). A
 * cancelled context (envelope_cancel) fails it with ENVELOPE_E_CANCELLED. */
ENVELOPE_API ENVELOPE_MUST_CHECK envelope_rc
envelope_sealer_update(envelope_sealer *sealer, const uint8_t *p, size_t len);
/* Ends the message and completes the envelope. With a declared size, a
 * message that came short fails with ENVELOPE_E_INVALID_ARGUMENT ("the
 * message ended after N of the M bytes declared") and nothing more is
 * written: no final chunk, so what write saw opens nowhere. Called once. */
ENVELOPE_API ENVELOPE_MUST_CHECK envelope_rc envelope_sealer_final(envelope_sealer *sealer);
/* Frees the sealer, wiping what it holds and removing its spool, whether
 * or not final was called or succeeded. NULL is a no-op. */
ENVELOPE_API void envelope_sealer_free(envelope_sealer *sealer);

/* ------------------------------------------------------------------- open */

typedef struct envelope_open_opts envelope_open_opts;

ENVELOPE_API ENVELOPE_MUST_CHECK envelope_rc envelope_open_opts_new(envelope_open_opts **out);
ENVELOPE_API void envelope_open_opts_free(envelope_open_opts *opts);
/* The private RSA key (local or KMS) to unwrap with, replacing any set or
 * added before. Reference held. ENVELOPE_E_KEY_TYPE for a signing key,
 * ENVELOPE_E_KEY_NOT_PRIVATE for a public one; on failure opts is
 * unchanged. */
ENVELOPE_API ENVELOPE_MUST_CHECK envelope_rc
envelope_open_opts_set_decrypt_key(envelope_open_opts *opts, envelope_key *key);
/* One more private RSA key to unwrap with; at most 16 (then
 * ENVELOPE_E_INVALID_ARGUMENT). Reference held; failures as for the setter,
 * leaving opts unchanged. Open uses the key a stanza's label names, and no
 * other, for that stanza; stanzas whose label cannot tell (hidden
 * recipients) are tried with every local key, then with every KMS key, at
 * most 16 KMS Decrypt calls per envelope across all KMS keys (what one key
 * needs for the 16 stanzas an envelope may hold). ENVELOPE_E_NOT_RECIPIENT
 * when no key opens a stanza; its detail says when the KMS budget ran out. */
ENVELOPE_API ENVELOPE_MUST_CHECK envelope_rc
envelope_open_opts_add_decrypt_key(envelope_open_opts *opts, envelope_key *key);
/* A signer to trust (P-521, public suffices); at least one; at most 64. */
ENVELOPE_API ENVELOPE_MUST_CHECK envelope_rc
envelope_open_opts_add_trusted_key(envelope_open_opts *opts, envelope_key *key);
/* Largest message accepted, in bytes; 0 (default) means no limit. Enforced
 * while reading, before verification, to bound the disk an attacker holding
 * the public key can fill: the output holds at most this, and a spool under
 * $TMPDIR (see envelope_open_fd) at most this plus the format's overhead
 * (the header, up to 64 KiB; tar headers, padding and read-ahead, 256 KiB;
 * 16 bytes per 64 KiB chunk). With 0 a spool is bounded only by the disk.
 * A message over the limit fails with ENVELOPE_E_TOO_LARGE, its detail
 * giving the size its tar header states and the limit, before any of it is
 * read. (The envelope command's open defaults to 4 GiB.) */
ENVELOPE_API envelope_rc envelope_open_opts_set_max_size(envelope_open_opts *opts, uint64_t max);
/* Oldest creation time accepted, in seconds before now; 0 (default): any. */
ENVELOPE_API envelope_rc envelope_open_opts_set_max_age(envelope_open_opts *opts, uint64_t seconds);
/* How far ahead of this machine's clock an envelope's creation time may be,
 * for a sender (or receiver) whose clock is off. */
#define ENVELOPE_MAX_SKEW_DEFAULT 300 /* seconds */
/* A bounded skew keeps a future-dated message from outliving a maximum age. */
#define ENVELOPE_MAX_SKEW_LIMIT 86400 /* seconds */
/* Seconds an envelope's creation time may run ahead of the clock: default
 * ENVELOPE_MAX_SKEW_DEFAULT, at most ENVELOPE_MAX_SKEW_LIMIT (more is
 * ENVELOPE_E_INVALID_ARGUMENT, opts unchanged). Later than that is
 * ENVELOPE_E_TOO_OLD, whether or not a maximum age is set; the detail gives
 * the creation time, this machine's time, the difference and the limit. */
ENVELOPE_API ENVELOPE_MUST_CHECK envelope_rc
envelope_open_opts_set_max_skew(envelope_open_opts *opts, uint64_t seconds);
/* Non-zero: also open the compat format, which lacks recipient binding. */
ENVELOPE_API envelope_rc envelope_open_opts_set_allow_compat(envelope_open_opts *opts, int allow);
/* As envelope_seal_opts_set_sync_dir; for extract, the directory flushed is
 * the one holding DIR. Default 1. */
ENVELOPE_API envelope_rc envelope_open_opts_set_sync_dir(envelope_open_opts *opts, int sync);
ENVELOPE_API envelope_rc
envelope_open_opts_set_progress(envelope_open_opts *opts, envelope_progress_fn fn, void *arg);

typedef struct envelope_result envelope_result;

/* What was opened. Every string is NUL-terminated and lives as long as the
 * result. */
ENVELOPE_API void envelope_result_free(envelope_result *result);
ENVELOPE_API envelope_format envelope_result_format(const envelope_result *result);
ENVELOPE_API const char *envelope_result_name(const envelope_result *result);
ENVELOPE_API uint64_t envelope_result_size(const envelope_result *result);
/* 128 lowercase hex digits. */
ENVELOPE_API const char *envelope_result_sha512(const envelope_result *result);
/* The trusted key that verified the signature: its fingerprint, or for a KMS
 * key whose public key was not fetched, its key ARN. */
ENVELOPE_API const char *envelope_result_signer(const envelope_result *result);
/* The identities the sender claimed for itself (a hint; may be ""). */
ENVELOPE_API const char *envelope_result_signer_hint(const envelope_result *result);
/* Recipients as the manifest names them: identities joined by spaces. */
ENVELOPE_API size_t envelope_result_recipient_count(const envelope_result *result);
ENVELOPE_API const char *envelope_result_recipient(const envelope_result *result, size_t i);
/* Creation time (seconds since the epoch, UTC); 0 for compat. */
ENVELOPE_API time_t envelope_result_created(const envelope_result *result);

/* Where plaintext rests while an envelope is opened. No output, and no
 * plaintext, exists under any name before every check has passed:
 *  - the envelope as read (ciphertext only) goes to an unnamed 0600 spool
 *    under $TMPDIR (default /tmp; a private name unlinked at once where
 *    $TMPDIR lacks O_TMPFILE), and the message is released from that spool
 *    only after the checks, decrypted again, its name, size and SHA-512
 *    checked again on the way (ENVELOPE_E_MESSAGE_MISMATCH otherwise, which
 *    only a spool changed under the process can cause; out_fd or the write
 *    callback may then have had part of it): for envelope_open_fd and
 *    envelope_open_cb, and for envelope_open_file and envelope_open_extract
 *    where the output's file system lacks O_TMPFILE;
 *  - where it has O_TMPFILE, envelope_open_file and envelope_open_extract
 *    write the message to an unnamed file in the output's directory, which
 *    disappears with the process whatever ends it.
 * So nothing is left in the output's directory by a failure, a cancellation
 * (envelope_cancel) or a signal that ends the process while the input is
 * read and checked. Only afterwards is the output created; a process killed
 * while the verified message is copied out of the spool can leave a 0600
 * file of verified bytes named OUT.<16 hex digits>.tmp beside OUT, or a
 * directory DIR.<16 hex digits>.tmp beside DIR. Every output is flushed
 * (fsync) before it gets its name, and its directory after (unless
 * envelope_open_opts_set_sync_dir says the caller does that).
 * envelope_open_mem keeps everything in memory. */

/* Free space. As soon as the inner archive states the message's size, and
 * before any of the message is read, envelope_open_fd, envelope_open_file
 * and envelope_open_extract compare it with the free space (statvfs:
 * f_bavail * f_frsize, what an unprivileged writer may use) of the
 * output's file system (out_fd's where it is a regular file; for _file and
 * _extract, the one holding the output) and of $TMPDIR's where a spool is
 * used, twice the size where both are on one file system. Too little fails
 * with ENVELOPE_E_IO and the detail "not enough space: the message states N
 * bytes; the file system holding PLACE has M bytes free" (PLACE: the output
 * path, $TMPDIR, or "the output" for out_fd). The size is the sender's
 * claim: this saves filling a disk only to fail, it protects nothing (the
 * maximum size does). envelope_open_cb and envelope_open_mem check nothing.
 * A write that still fails with ENOSPC or EDQUOT fails with ENVELOPE_E_IO
 * and the detail "no space left on the device holding PLACE"; so does
 * sealing (PLACE: out_path, "the output" for out_fd, or $TMPDIR for the
 * spool of a piped input). */

/* Every open call reads an envelope as written, or as ASCII armor
 * (envelope_seal_opts_set_armor), told by its first line: an armor whose
 * text breaks the rules of docs/FORMAT.md, "ASCII armor" fails with
 * ENVELOPE_E_NOT_ENVELOPE, the detail naming the line and what is wrong
 * with it. An input without the v1 magic is taken for a compat envelope
 * only when its size is one (256, 384 or 512 bytes), it is not text and
 * does not start like a damaged v1 envelope (docs/COMPAT.md); else it is
 * ENVELOPE_E_NOT_ENVELOPE, saying which, before any key is used. */

/* Opens the envelope read from in_fd and, only after every check, writes the
 * message to out_fd (see above). result may be NULL. */
ENVELOPE_API ENVELOPE_MUST_CHECK envelope_rc
envelope_open_fd(envelope_ctx *ctx, const envelope_open_opts *opts, int in_fd, int out_fd,
                 envelope_result **result);
/* Opens into out_path (see above): linked or renamed into place only after
 * every check. An existing file is refused unless force is non-zero. On
 * failure nothing is left. */
ENVELOPE_API ENVELOPE_MUST_CHECK envelope_rc
envelope_open_file(envelope_ctx *ctx, const envelope_open_opts *opts, int in_fd,
                   const char *out_path, int force, envelope_result **result);
/* Opens into a new directory dir (which must not exist) holding the message,
 * manifest.json and manifest.sig: made beside it under a temporary name once
 * every check has passed, filled, then renamed into place (see above). */
ENVELOPE_API ENVELOPE_MUST_CHECK envelope_rc
envelope_open_extract(envelope_ctx *ctx, const envelope_open_opts *opts, int in_fd,
                      const char *dir, envelope_result **result);
/* Memory to memory; the message is returned only on success. Free it with
 * envelope_free_secret(*out, *out_len). */
ENVELOPE_API ENVELOPE_MUST_CHECK envelope_rc
envelope_open_mem(envelope_ctx *ctx, const envelope_open_opts *opts, const uint8_t *in,
                  size_t in_len, uint8_t **out, size_t *out_len, envelope_result **result);
/* Callbacks: write is called only after every check has passed (see above:
 * the envelope is spooled, read is never called again). */
ENVELOPE_API ENVELOPE_MUST_CHECK envelope_rc
envelope_open_cb(envelope_ctx *ctx, const envelope_open_opts *opts, envelope_read_fn read,
                 void *read_arg, envelope_write_fn write, void *write_arg,
                 envelope_result **result);

/* ------------------------------------------------------------ one call */

/* The envelope command's default largest message for open, and what
 * envelope_open_simple() takes max_size 0 to mean. */
#define ENVELOPE_MAX_SIZE_DEFAULT ((uint64_t)4 << 30) /* 4 GiB */

/* Seals msg (len bytes) in memory, signed with the private key sign_key and
 * encrypted to the n_recipients keys of recipients (1 to 16), as
 * envelope_seal_mem() does with options holding those keys and name (NULL:
 * "message"). Keys are references, as envelope_key_load() reads them: a
 * path or an awskms:// reference; an encrypted key file fails with
 * ENVELOPE_E_KEY_PASSPHRASE (load it with a passphrase callback and use
 * envelope_seal_mem). ctx may be NULL: the call then makes a context of its
 * own and frees it before returning, so the detail of a failure is lost
 * and a KMS key costs a new connection each call; pass a context to keep
 * both. The detail names the key that failed ("recipient 2: ..."). On
 * success free *out with envelope_free(): an envelope is no secret. */
ENVELOPE_API ENVELOPE_MUST_CHECK envelope_rc
envelope_seal_simple(envelope_ctx *ctx, const char *sign_key, const char *const *recipients,
                     size_t n_recipients, const char *name, const uint8_t *msg, size_t len,
                     uint8_t **out, size_t *out_len);
/* Opens the envelope env (len bytes) in memory with the private RSA key
 * decrypt_key, trusting the n_verify_keys signers of verify_keys (1 to 64),
 * as envelope_open_mem() does, refusing a message over max_size bytes (0:
 * ENVELOPE_MAX_SIZE_DEFAULT) with ENVELOPE_E_TOO_LARGE. Keys and ctx as
 * for envelope_seal_simple(). The message is returned only once every
 * check has passed; it is the plaintext: free it with
 * envelope_free_secret(*msg, *msg_len), which wipes it first. */
ENVELOPE_API ENVELOPE_MUST_CHECK envelope_rc
envelope_open_simple(envelope_ctx *ctx, const char *decrypt_key, const char *const *verify_keys,
                     size_t n_verify_keys, uint64_t max_size, const uint8_t *env, size_t len,
                     uint8_t **msg, size_t *msg_len);

/* ------------------------------------------------------------- inspection */

typedef struct envelope_info envelope_info;

/* Reads the cleartext header only: no key needed, nothing verified. Reads
 * armor too (then only as far as the header). A compat envelope, told as
 * open tells it (see above), has no header: its info has version, suite,
 * chunk size and header size 0, and one recipient, unlabelled, whose bits
 * are its size's (RSA-2048, 3072 or 4096); its payload size is its size,
 * whatever in_fd is (a pipe too). */
ENVELOPE_API ENVELOPE_MUST_CHECK envelope_rc
envelope_inspect_fd(envelope_ctx *ctx, int in_fd, envelope_info **out);
ENVELOPE_API void envelope_info_free(envelope_info *info);
/* 1, or 0 for a compat envelope. */
ENVELOPE_API unsigned envelope_info_version(const envelope_info *info);
ENVELOPE_API unsigned envelope_info_suite(const envelope_info *info);
ENVELOPE_API uint32_t envelope_info_chunk_size(const envelope_info *info);
ENVELOPE_API size_t envelope_info_header_size(const envelope_info *info);
/* Bytes after the header (encrypted chunks), the whole size for a compat
 * envelope; 0 when the input is not seekable or is armored. */
ENVELOPE_API uint64_t envelope_info_payload_size(const envelope_info *info);
ENVELOPE_API size_t envelope_info_recipient_count(const envelope_info *info);
/* The stanza's label, "" when hidden. */
ENVELOPE_API const char *envelope_info_recipient_label(const envelope_info *info, size_t i);
ENVELOPE_API unsigned envelope_info_recipient_bits(const envelope_info *info, size_t i);

/* ----------------------------------------------------- offline verification */

/* Checks a signed manifest on its own, as found in a directory written by
 * envelope_open_extract() or sent apart: first manifest.sig (sig) over the
 * exact bytes of manifest.json (manifest) under each of the n_trusted keys
 * in turn (P-521; public suffices; 1 to 64), then the manifest, parsed
 * strictly. No decryption key is needed, and no envelope: the recipient
 * binding (header_sha256) cannot be checked here. On success *out describes
 * what was signed, as envelope_open_*() would (free it with
 * envelope_result_free()); on failure *out is NULL and the error is
 * ENVELOPE_E_UNTRUSTED_SIGNER (the signer is then unknown: a manifest
 * whose signature did not verify is never parsed) or ENVELOPE_E_BAD_MANIFEST.
 * Neither buffer is kept. */
ENVELOPE_API ENVELOPE_MUST_CHECK envelope_rc
envelope_verify_manifest(envelope_ctx *ctx, const uint8_t *manifest, size_t manifest_len,
                         const uint8_t *sig, size_t sig_len, envelope_key *const *trusted,
                         size_t n_trusted, envelope_result **out);
/* Reads fd from its current position to the end (at most one buffer past
 * the size the result states) and checks the message's size and SHA-512
 * against result, which envelope_verify_manifest() or an open call gave:
 * ENVELOPE_OK, ENVELOPE_E_MESSAGE_MISMATCH, ENVELOPE_E_IO, or
 * ENVELOPE_E_CANCELLED (envelope_cancel). fd stays open. */
ENVELOPE_API ENVELOPE_MUST_CHECK envelope_rc
envelope_verify_message_fd(envelope_ctx *ctx, const envelope_result *result, int fd);
/* The same for a message in memory. */
ENVELOPE_API ENVELOPE_MUST_CHECK envelope_rc
envelope_verify_message_mem(envelope_ctx *ctx, const envelope_result *result,
                            const uint8_t *msg, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* ENVELOPE_H */
