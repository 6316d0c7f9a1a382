/* The envelope command: what the subcommands share. Each file in cli/ has
 * one job: a subcommand (cmd_*.c), reporting (report.c), passphrases
 * (passphrase.c), the progress bar (progress.c), files (files.c), what an
 * output path names (outputs.c), option values (values.c), keys (load.c),
 * --json (json_out.c writes JSON, json_report.c is the run's one object,
 * json_data.c what each command puts in it). */
#ifndef ENVELOPE_CLI_H
#define ENVELOPE_CLI_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "envelope.h"

/* Exit codes: stable, documented in --help and envelope(1). */
enum {
    EXIT_OK = 0,
    EXIT_REJECTED = 1, /* the envelope cannot be opened or verified */
    EXIT_USAGE = 2,
    EXIT_KEY = 3,      /* key or KMS problem */
    EXIT_IO = 4,
};

int cmd_keygen(int argc, char **argv);
int cmd_pubkey(int argc, char **argv);
int cmd_seal(int argc, char **argv);
int cmd_open(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_inspect(int argc, char **argv);

/* ---------------------------------------------------------- report.c */

extern int cli_quiet;

int exit_code_for(envelope_rc rc);
/* The library code name that stands for an exit code's class in --json
 * when a failure has no code of its own: "USAGE", "KEY_LOAD", "IO". */
const char *exit_code_name(int code);
/* "envelope: WHAT: REASON (DETAIL)" on stderr, one line; returns the exit
 * code for rc. */
int report(envelope_ctx *ctx, envelope_rc rc, const char *what);
/* As report, then ": HINT" on the same line: what the user can do. */
int report_hint(envelope_ctx *ctx, envelope_rc rc, const char *what, const char *hint);
/* The same, naming the output when the failure is the output's, else the
 * input. out may be NULL. */
int report_in_out(envelope_ctx *ctx, envelope_rc rc, const char *in, const char *out);
/* The same for a key: WHAT is "FLAG REF". */
int report_key(envelope_ctx *ctx, envelope_rc rc, const char *flag, const char *ref);
/* "envelope CMD: MESSAGE (see 'envelope CMD --help')"; returns EXIT_USAGE. */
int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* For getopt's '?' and ':' (the option string must begin with ':'): names
 * the argument getopt stopped in, and the option in it. */
int bad_option(const char *cmd, int c, char **argv);
/* Flushes and closes stdout: EXIT_IO after a message if what was printed
 * there could not be written and code was EXIT_OK; else code. */
int stdout_close(int code);
/* "envelope: MESSAGE" on stderr; returns code. */
int fail_with(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s as it may be shown on a terminal (envelope_escape()), in buf; cut if
 * longer than SHOWN_MAX - 1 bytes escaped (a message name never is). */
#define SHOWN_MAX 1024
const char *shown(const char *s, char buf[SHOWN_MAX]);

/* As report, with the detail given rather than a context's. */
int report_detail(envelope_rc rc, const char *what, const char *detail);
/* The text of the last line reported, without "envelope: " ("" if none):
 * for batch mode's JSON Lines. */
const char *report_last(void);

/* Records a failure for --json, as fail_with; rc names it and gives the
 * exit code (exit_code_for). */
int fail_as(envelope_rc rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* -------------------------------------------------------- json_out.c */

/* JSON text in memory. Strings may hold any bytes: valid UTF-8 is kept,
 * control and formatting characters become \u escapes, a byte that is not
 * valid UTF-8 becomes U+FFFD. */
#define JSON_DEPTH 8
struct json_out {
    char *buf;
    size_t len, cap;
    int failed; /* out of memory (or nested too deep): no text */
    int depth, after_key;
    unsigned char first[JSON_DEPTH]; /* nothing written yet at this depth */
};
void json_out_init(struct json_out *j);
void json_out_free(struct json_out *j);
/* The text written, or NULL if it failed. */
const char *json_out_text(const struct json_out *j);
void json_out_begin_object(struct json_out *j);
void json_out_end_object(struct json_out *j);
void json_out_begin_array(struct json_out *j);
void json_out_end_array(struct json_out *j);
void json_out_key(struct json_out *j, const char *key);
void json_out_string(struct json_out *j, const char *s); /* NULL: null */
void json_out_uint(struct json_out *j, uint64_t v);
void json_out_int(struct json_out *j, int v);
void json_out_bool(struct json_out *j, int v);
void json_out_null(struct json_out *j);
void json_out_member_string(struct json_out *j, const char *key, const char *s);
void json_out_member_uint(struct json_out *j, const char *key, uint64_t v);
void json_out_member_null(struct json_out *j, const char *key);
/* The members of the object obj, as members of the object being written. */
void json_out_members_of(struct json_out *j, const struct json_out *obj);

/* ----------------------------------------------------- json_report.c */

/* Starts the run of COMMAND: --json anywhere in argv before "--" turns it
 * on, so that even a usage error is told as JSON. */
void json_setup(const char *command, int argc, char **argv);
void json_enable(void); /* --json met by getopt (an abbreviation of it) */
int json_on(void);
/* Where the command's data goes: stdout (the object then goes to stderr). */
void json_data_on_stdout(int yes);
/* Batch mode prints JSON Lines itself: turns the one object off, and
 * returns whether --json was on. */
int json_take_over(void);
/* 1 when --json is on and its object goes to f: human lines meant for f are
 * left out. */
int json_owns(FILE *f);
/* The object the command's members are written into (json_data.c). */
struct json_out *json_members(void);
/* A failure as reported: its library code name ("TAMPERED", "USAGE"...),
 * exit code and text. The first one recorded is the one told. */
void json_error(const char *code, int exit_code, const char *detail);
/* Prints the object, if --json is on; returns code, or EXIT_IO if it could
 * not be written to stderr. */
int json_finish(int code);

/* ------------------------------------------------------- json_data.c */

void json_put_info(const envelope_info *info);
/* A compat envelope, known by its size: an RSA-bits ciphertext. */
void json_put_compat(unsigned bits);
struct key_set;
/* The --verify-key (as given) of set whose key is signer (a result's), or
 * NULL when it cannot be told: several KMS aliases, none the signer's ARN. */
const char *json_signer_ref(envelope_ctx *ctx, const struct key_set *set, const char *signer);
/* output NULL: verify, which has no output member. */
void json_put_result(const envelope_result *r, const char *signer_ref, const char *output);
void json_put_key(const envelope_key *key, const char *ref, const char *fp,
                  const char *const *outputs, size_t n_outputs);

/* --------------------------------------------------------- options.c */

struct option;
#define OPTIONS_MAX 128
/* What a command's options said so far, to refuse two that cannot both
 * hold. single: the options (getopt values) that take one value, at most
 * once each; exclusive: pairs that exclude each other, "se PD". */
struct options {
    const char *cmd;
    const struct option *longopts;
    const char *single, *exclusive;
    const char *given[OPTIONS_MAX]; /* the value given, "" for a flag */
};

void options_init(struct options *o, const char *cmd, const struct option *longopts,
                  const char *single, const char *exclusive);
/* Records option c (its value, or NULL for a flag); a usage error naming
 * both when it is a second value of a single option or excluded by an
 * option given before. */
int options_seen(struct options *o, int c, const char *value);

/* ----------------------------------------------------- fingerprint.c */

/* If s begins with a SHA-256 fingerprint (alone, or before a space and a KMS
 * key ARN as in a recipient's label): its short form for reading aloud,
 * "e47b-4ca1-c04a-b8db", in out, and the fingerprint's length; else 0. */
#define FINGERPRINT_SHORT 20
size_t fingerprint_short(const char *s, char out[FINGERPRINT_SHORT]);
/* Prints s with the short form after its fingerprint, if it begins with
 * one: "sha256:HEX (e47b-4ca1-c04a-b8db) arn:...". */
void fingerprint_print(FILE *f, const char *s);

/* ------------------------------------------------------ passphrase.c */

/* Where passphrases of encrypted private keys come from: --passphrase-file
 * or --passphrase-fd, else ENVELOPE_PASSPHRASE_FILE or ENVELOPE_PASSPHRASE_FD
 * (read once; the first line serves every key), else a prompt on the
 * terminal for each key. Never the command line. */
struct passphrase {
    const char *file;
    const char *file_from; /* "--passphrase-file" or ENVELOPE_PASSPHRASE_FILE */
    int ask;           /* keygen --ask-passphrase */
    int fd;            /* -1: none */
    const char *ref;   /* the key being loaded, for the prompt */
    char cached[1024];
    int cached_len;    /* -1: not read yet */
    char why[160];     /* why none could be had, for the error message */
};

void passphrase_init(struct passphrase *p);
/* Parses --passphrase-file / --passphrase-fd values; EXIT_OK or a usage error. */
int passphrase_set_fd(struct passphrase *p, const char *cmd, const char *arg);
/* After the options, when none says where the passphrase comes from:
 * ENVELOPE_PASSPHRASE_FILE or ENVELOPE_PASSPHRASE_FD. EXIT_OK or a usage
 * error. */
int passphrase_from_env(struct passphrase *p, const char *cmd);
int passphrase_cb(void *arg, char *buf, size_t size);
/* The passphrase from a file or descriptor, for keygen: its length, or -1
 * after a message. */
int passphrase_read_given(struct passphrase *p, char *buf, size_t size);
/* keygen --ask-passphrase: asks twice on the terminal for the new KEY's
 * passphrase; its length, or -1 after a message (the two differ, none
 * entered, no terminal: exit code EXIT_USAGE). */
int passphrase_ask_new(struct passphrase *p, const char *key, char *buf, size_t size);
void passphrase_wipe(struct passphrase *p);

/* ------------------------------------------------------------ load.c */

/* Loads the key behind FLAG REF and checks it can play the flag's role
 * (kind, private), with one clear line on failure. Returns an exit code. */
int load_key(envelope_ctx *ctx, const char *flag, const char *ref, envelope_key_kind kind,
             int need_private, struct passphrase *pass, envelope_key **out);

/* The keys of options that take several (--to, --verify-key), each once. */
#define KEY_SET_MAX 64
struct key_set {
    envelope_key *keys[KEY_SET_MAX];
    const char *refs[KEY_SET_MAX];                            /* the option each came from */
    char fingerprints[KEY_SET_MAX][ENVELOPE_FINGERPRINT_SIZE]; /* "" for KMS keys */
    size_t n;
};
/* Adds every key of the file or reference FLAG REF to set, each checked as
 * load_key checks one (public keys suffice). A file that gives several keys
 * is noted on stderr with their number; a key already in the set (same
 * fingerprint, or same KMS reference) is noted and kept once. More than
 * KEY_SET_MAX keys is a usage error. Returns an exit code. */
int load_key_set(envelope_ctx *ctx, const char *flag, const char *ref, envelope_key_kind kind,
                 struct passphrase *pass, struct key_set *set);
void key_set_free(struct key_set *set);

/* ----------------------------------------------------------- files.c */

/* Opens IN for reading ("-" or NULL: stdin). Returns fd, or -1 after a
 * message (exit code EXIT_IO). */
int open_input(const char *path);
/* The name to report for IN. */
const char *input_name(const char *path);
/* 1 if path names stdin or stdout ("-" or NULL). */
int is_std_stream(const char *path);
/* Refuses, with a message, an existing output when force is off. */
int refuse_existing(const char *path, int force, const char *hint);
/* Writes len bytes to path atomically (a temporary name beside it, then
 * renamed or linked into place), 0600 if secret else 0644, never replacing
 * a file unless force. Returns an exit code. */
int write_new_file(const char *path, const uint8_t *p, size_t len, int secret, int force);
/* Writes all len bytes to fd: 0, or -1 with errno set. */
int write_all(int fd, const uint8_t *p, size_t len);
struct out_target;
/* Writes len bytes into a target that is not a new file (a descriptor, a
 * device, a FIFO). Returns an exit code. */
int write_through(struct out_target *t, const uint8_t *p, size_t len);

/* Two phases for outputs that appear together or not at all: made whole
 * under a temporary name beside PATH, then all placed. */
struct new_file {
    const char *path;
    char *tmp;   /* the temporary name until placed */
    int placed;  /* 1: PATH is a new name, which undo may remove */
};
/* Writes p under a temporary name beside path (0600 if secret, else 0644)
 * and flushes it. Returns an exit code, after a message. */
int new_file_prepare(struct new_file *f, const char *path, const uint8_t *p, size_t len,
                     int secret);
/* Gives it its name: never replacing a file unless force. Exit code. */
int new_file_place(struct new_file *f, int force);
/* Removes the temporary name, and PATH too if undo and place made it new. */
void new_file_discard(struct new_file *f, int undo);

/* --------------------------------------------------------- outputs.c */

/* What -o PATH names. */
enum out_kind {
    OUT_NEW_FILE,   /* a regular file, made beside it and renamed into place */
    OUT_DESCRIPTOR, /* "-", /dev/stdout, /dev/fd/N: written through fd */
    OUT_INTO,       /* a character device or the caller's FIFO: written into */
};
struct out_target {
    const char *path;
    enum out_kind kind;
    int fd; /* OUT_DESCRIPTOR: the descriptor; OUT_INTO: once opened, else -1 */
};
/* Classifies PATH (NULL: stdout). Refuses with exit 4 a directory, a block
 * device, a socket, someone else's FIFO, a descriptor not open for writing,
 * and an existing regular file unless force. Returns an exit code. */
int out_target_check(const char *path, int force, struct out_target *t);
/* Opens an OUT_INTO target, checking it still is one. Exit code. */
int out_target_open(struct out_target *t);
void out_target_close(struct out_target *t);

/* A file a command names, with the option naming it. */
struct named {
    const char *flag; /* NULL: stdout ("-") or stdin ("/dev/stdin") by default */
    const char *path; /* NULL: none */
};
/* A usage error if two outputs are one file (same name, or the same regular
 * file through a link), or an output is one of the inputs. */
int outputs_distinct(const char *cmd, const struct named *outs, size_t n_out,
                     const struct named *ins, size_t n_in);
/* The file a key reference names, or NULL for a KMS key. */
const char *keyref_file(const char *ref);

/* ---------------------------------------------------------- values.c */

/* "512", "10K", "10M", "2G", "1T": bytes (binary multiples). */
int parse_size(const char *s, uint64_t *out);
/* "90", "90s", "15m", "12h", "7d": seconds, at least 1. */
int parse_duration(const char *s, uint64_t *out);
/* "2024-05-01T12:00:00Z" or "@1714564800": a UTC time. */
int parse_time(const char *s, time_t *out);
/* "YYYY-MM-DDTHH:MM:SSZ". */
void format_time(time_t t, char out[32]);

/* --------------------------------------------------------- signals.c */

/* Handles SIGINT, SIGTERM, SIGHUP and SIGPIPE: see signals.c. */
void signals_install(void);
/* The context whose running call a signal cancels; NULL when there is none
 * (before it is freed). While none is watched a signal acts at once. */
void signals_watch(envelope_ctx *ctx);
/* Batch mode: the contexts of every worker, all cancelled by a signal, and
 * the workers' threads, woken from a blocking read or open by SIGURG (see
 * signals.c). n 0: none. The arrays stay valid until unwatched. */
void signals_watch_batch(envelope_ctx *const *ctxs, const pthread_t *threads, size_t n);
/* Batch mode's workers: acts on sig, which they block, as if caught. */
void signals_stop(int sig);
/* The signal caught, or 0. */
int signals_caught(void);
/* Returns code, unless a signal was caught: then dies of it. */
int signals_finish(int code);

/* -------------------------------------------------------- progress.c */

/* A progress bar on stderr (bytes, rate, ETA) for operations that last more
 * than half a second, when stderr is a terminal and --quiet is off. */
struct progress {
    int enabled;
    const char *label;
    long long start_ns;
    long long last_ns;
    int shown;
};
void progress_init(struct progress *p, const char *label);
int progress_cb(void *arg, uint64_t done, uint64_t total);
/* Batch mode: files and bytes done of the whole, on the same conditions. */
void progress_files(struct progress *p, size_t done, size_t total, uint64_t bytes,
                    uint64_t total_bytes);
/* Clears the bar's line, if one was drawn. */
void progress_done(struct progress *p);

/* ----------------------------------------------------------- batch.c */

/* Batch mode (--out-dir): many inputs, each made into one output in DIR by
 * a pool of workers that share the keys, each with its own context. */
#define BATCH_JOBS_MAX 64

/* One input as a worker sees it. */
struct batch_input {
    const char *path;
    int fd;            /* open for reading */
    const char *tmp;   /* where the library makes the output: a hidden name in DIR */
    char *name;        /* set on success: the output's name in DIR (malloc) */
    const char *warning; /* may be set on success: said with the input's line */
    char why[256];     /* the failure's detail when it is the command's, not the ctx's */
};
/* What a command does with one input: from in->fd, a complete, flushed
 * file at in->tmp (made by the library, never replacing one); on success
 * in->name. Returns the library's rc; on failure the detail is in->why if
 * set, else the context's. */
typedef envelope_rc (*batch_fn)(void *worker, envelope_ctx *ctx, struct batch_input *in);

struct batch {
    const char *cmd;   /* "seal" or "open" */
    const char *verb;  /* "sealed" or "opened" */
    const char *dir;
    char **inputs;
    size_t n;
    unsigned jobs;     /* 0: the online cores, at most BATCH_JOBS_MAX */
    int force;
    /* Files no output may replace: the keys and the passphrase file. */
    const char *keep[KEY_SET_MAX + 20];
    size_t n_keep;
    /* Each worker's own state (its options, filled from the shared keys). */
    int (*worker_new)(void *arg, void **worker);
    void (*worker_free)(void *worker);
    batch_fn run;
    void *arg;
};
/* Runs the batch: every input, one line each on stderr (--json: one JSON
 * object each on stdout), then the summary. Returns the highest per-input
 * exit code (EXIT_OK when all succeeded). */
int batch_run(struct batch *b);

/* ----------------------------------------------------- names_list.c */

/* Calls add with each name of text (len bytes, with room for one more):
 * names separated by newlines, or by NUL bytes if null; empty ones (blank
 * lines, a last separator) skipped. Cuts text up in place. Returns 0, -1
 * when a newline-separated list holds a NUL byte (nothing added), or the
 * first non-zero value add returned (and stops there). */
int names_split(char *text, size_t len, int null, int (*add)(void *arg, const char *name),
                void *arg);

/* ----------------------------------------------------- batch_args.c */

/* The options batch mode adds to seal and open. */
struct batch_args {
    const char *dir;        /* --out-dir */
    const char *files_from; /* --files-from FILE or "-" */
    int null;               /* --null */
    unsigned jobs;          /* -j N; 0: the default */
};
/* -j N: 1 to BATCH_JOBS_MAX. EXIT_OK or a usage error. */
int batch_parse_jobs(const char *cmd, const char *arg, unsigned *jobs);
/* The inputs: the operands, then those of --files-from. Checks DIR, and
 * refuses "-" as an input. Fills b->inputs and b->n (free with
 * batch_inputs_free). EXIT_OK or an exit code after a message. */
int batch_inputs(const char *cmd, const struct batch_args *a, char **operands, size_t n_ops,
                 struct batch *b);
void batch_inputs_free(struct batch *b);

#endif
