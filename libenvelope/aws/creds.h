/* AWS credentials: where they come from, and who wipes them. Sources are
 * tried in the AWS SDKs' order (docs/KEYS.md, creds_chain.c); the first
 * that has credentials wins, and a source that is present but broken stops
 * the search with its error. The credentials themselves and what the
 * sources share are creds.c's. */
#ifndef ENVELOPE_CREDS_H
#define ENVELOPE_CREDS_H

#include <time.h>

#include "envelope.h"

#define ACCESS_KEY_ID_MAX 128
#define SECRET_KEY_MAX 128
#define SESSION_TOKEN_MAX 8192
#define PROFILE_NAME_MAX 128
#define CREDS_SOURCE_MAX 200
/* Credentials that expire are fetched again this long before they do. */
#define CREDS_REFRESH_WINDOW 300

struct aws_creds {
    char access_key_id[ACCESS_KEY_ID_MAX + 1];  /* not secret: it names the key */
    char *secret_access_key;                    /* secret: wiped by creds_free */
    char *session_token;                        /* secret, or NULL */
    time_t expiration;                          /* 0: does not expire */
    int refreshable;                            /* asking the source again may give others */
    char source[CREDS_SOURCE_MAX];              /* "environment", ...: for details */
};

/* Fills *out from the first source that has credentials (creds_chain.c).
 * On failure ENVELOPE_E_CREDENTIALS (or NOMEM, TIMEOUT), *out empty. Free
 * with creds_free. */
envelope_rc creds_load(envelope_ctx *ctx, struct aws_creds *out);
/* The same, for a KMS key in region_hint (may be NULL): the region STS is
 * reached in when none is configured. */
envelope_rc creds_load_for(envelope_ctx *ctx, const char *region_hint, struct aws_creds *out);
/* Wipes and frees the secrets; leaves *c empty. NULL is a no-op. */
void creds_free(struct aws_creds *c);
/* A service refused c as expired: no cache may give them again
 * (creds_chain.c). */
void creds_expired(const struct aws_creds *c);
/* 1 when c expires within CREDS_REFRESH_WINDOW seconds of now (or has). */
int creds_expiring(const struct aws_creds *c, time_t now);

/* ---------------------------------------- shared between sources (creds.c) */

/* Checks and copies the three values into *out (source not set):
 * ENVELOPE_E_CREDENTIALS naming what, never quoting a secret. token may be
 * NULL; lengths are strlen when given as (size_t)-1. */
envelope_rc creds_set(envelope_ctx *ctx, const char *what, const char *id, size_t id_len,
                      const char *secret, size_t secret_len, const char *token, size_t token_len,
                      struct aws_creds *out);
/* An RFC 3339 time ("2024-05-01T12:00:00Z", fractions and offsets too):
 * 0, or -1 if malformed. */
int creds_parse_time(const char *s, size_t len, time_t *out);
/* The JSON shape of credential_process (Version 1), the container
 * endpoints and IMDS: AccessKeyId, SecretAccessKey, the token member named
 * token_name, Expiration. Wipes nothing: the caller frees the object. */
struct json_object;
envelope_rc creds_from_json(envelope_ctx *ctx, const char *what, struct json_object *o,
                            const char *token_name, int need_token, struct aws_creds *out);
/* 1 when s is printable ASCII without spaces: what fits in a header or
 * SigV4's scope, and cannot split a header line. */
int creds_is_token_text(const char *s, size_t len);
/* A copy of s that creds_wipe_free frees. */
char *creds_strdup(const char *s, size_t len);
void creds_wipe_free(char *s);
/* The variable's value, or NULL when unset or empty. */
const char *creds_env(const char *name);
/* 1 when the variable is "true", in any case. */
int creds_env_true(const char *name);

/* -------------------------------------------- the profile (creds_profile.c) */

enum {
    PROFILE_ACCESS_KEY_ID,
    PROFILE_SECRET_ACCESS_KEY,
    PROFILE_SESSION_TOKEN,
    PROFILE_REGION,
    PROFILE_RETRY_MODE,
    PROFILE_MAX_ATTEMPTS,
    PROFILE_CREDENTIAL_PROCESS,
    PROFILE_ROLE_ARN,
    PROFILE_SSO,
    PROFILE_WEB_IDENTITY,
    PROFILE_SOURCE_PROFILE,
    PROFILE_CREDENTIAL_SOURCE,
    PROFILE_EXTERNAL_ID,
    PROFILE_ROLE_SESSION_NAME,
    PROFILE_DURATION_SECONDS,
    PROFILE_MFA_SERIAL,
    PROFILE_ENDPOINT_URL,
    PROFILE_USE_FIPS_ENDPOINT,
    PROFILE_KEYS
};

/* What one file says of the profile: values are copies, wiped when freed. */
struct profile_file {
    char path[4096];    /* "" when there is no such file to read */
    int present;        /* the file holds a section for the profile */
    char *value[PROFILE_KEYS];
    unsigned line[PROFILE_KEYS];
};

struct aws_profile {
    char name[PROFILE_NAME_MAX + 1];
    const char *name_from;      /* "AWS_PROFILE", ... or NULL for the default */
    struct profile_file file[2]; /* 0: the credentials file, 1: the config file */
};

/* Reads both files for the profile AWS_PROFILE (else AWS_DEFAULT_PROFILE,
 * else "default"). A missing file is empty. Errors carry err_code: a file
 * that cannot be read, is larger than 1 MiB or malformed (its path and line
 * number), a value set twice. Free with profile_free, also on failure. */
envelope_rc profile_load(envelope_ctx *ctx, envelope_rc err_code, struct aws_profile *out);
/* The same for the profile name (a source_profile), from the same files. */
envelope_rc profile_load_named(envelope_ctx *ctx, envelope_rc err_code, const char *name,
                               struct aws_profile *out);
void profile_free(struct aws_profile *p);
/* The value of key, the credentials file's before the config file's (as
 * the AWS CLI merges them); which file in *from (0 or 1). NULL if neither. */
const char *profile_get(const struct aws_profile *p, int key, int *from);

/* -------------------------------------------------- the other sources */

/* Static keys (creds_keys.c). AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY:
 * *found 0 when neither is set. */
envelope_rc creds_env_keys(envelope_ctx *ctx, struct aws_creds *out, int *found);
/* The profile's static keys, the credentials file's before the config
 * file's. *found 0 when it has none. */
envelope_rc creds_profile_keys(envelope_ctx *ctx, const struct aws_profile *p,
                               struct aws_creds *out, int *found);
/* Assumed roles (creds_assume.c). Web identity from AWS_ROLE_ARN and
 * AWS_WEB_IDENTITY_TOKEN_FILE; the profile p (may be NULL) gives STS's
 * endpoint settings. *found 0 when AWS_WEB_IDENTITY_TOKEN_FILE is unset. */
envelope_rc creds_from_env_web_identity(envelope_ctx *ctx, const struct aws_profile *p,
                                        const char *region_hint, struct aws_creds *out,
                                        int *found);
/* The role of the profile p: role_arn with web_identity_token_file,
 * source_profile or credential_source. *found 0 when it has no role_arn. */
envelope_rc creds_from_profile_role(envelope_ctx *ctx, const struct aws_profile *p,
                                    const char *region_hint, struct aws_creds *out, int *found);

/* credential_process (creds_process.c): runs command through /bin/sh -c
 * and reads its JSON. what names it in errors ("credential_process of
 * profile x"). */
envelope_rc creds_from_process(envelope_ctx *ctx, const char *what, const char *command,
                               struct aws_creds *out);
/* The profile's credential_process: *found 0 when it has none. */
envelope_rc creds_profile_process(envelope_ctx *ctx, const struct aws_profile *p,
                                  struct aws_creds *out, int *found);
/* Container credentials (creds_metadata.c): *found 0 unless
 * AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI is set. */
envelope_rc creds_from_container(envelope_ctx *ctx, struct aws_creds *out, int *found);
/* IMDSv2: *found 0 when disabled (AWS_EC2_METADATA_DISABLED=true) or when
 * nothing answers at the endpoint; then note says why, for the final
 * "no credentials" message. */
envelope_rc creds_from_imds(envelope_ctx *ctx, struct aws_creds *out, int *found, char *note,
                            size_t note_size);

#endif
