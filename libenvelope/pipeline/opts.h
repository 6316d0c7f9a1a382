/* Option and result objects: plain data behind the public setters. */
#ifndef ENVELOPE_OPTS_H
#define ENVELOPE_OPTS_H

#include "envelope.h"
#include "format/format.h"
#include "pipeline/key_trial.h"

#define TRUSTED_MAX 64

struct envelope_seal_opts {
    envelope_key *sign_key;
    envelope_key *recipients[STANZA_MAX];
    size_t n_recipients;
    char name[MESSAGE_NAME_MAX + 1];
    int name_set;
    int hide_recipients;
    envelope_format format;
    int armor;      /* v1 only: base64 between BEGIN and END lines */
    time_t created; /* 0: now */
    int no_dir_sync; /* the caller flushes the output's directory */
    envelope_progress_fn progress;
    void *progress_arg;
    uint64_t max_size; /* 0: no limit */
};

struct envelope_open_opts {
    envelope_key *decrypt_keys[DECRYPT_KEYS_MAX];
    size_t n_decrypt;
    envelope_key *trusted[TRUSTED_MAX];
    size_t n_trusted;
    uint64_t max_size;
    uint64_t max_age;
    uint64_t max_skew; /* seconds the creation time may be ahead */
    int allow_compat;
    int no_dir_sync; /* the caller flushes the output's directory */
    envelope_progress_fn progress;
    void *progress_arg;
};

struct envelope_result {
    envelope_format format;
    struct manifest manifest;
    char signer[IDENTITY_MAX + 1]; /* fingerprint, or a KMS key ARN */
    char signer_hint[LABEL_MAX + 1];
    char recipients[STANZA_MAX][LABEL_MAX + 1];
};

struct envelope_info {
    int compat; /* a compat envelope: only its size is known */
    struct header header;
    size_t header_size;
    uint64_t payload_size;
};

#endif
