/* --json: the one object a run prints. The command records its data as it
 * learns it (json_data.c), failures are recorded as they are reported
 * (report.c), and main prints the object once the command has returned: on
 * stdout, or on stderr when the command's own data goes to stdout. Human
 * lines meant for the object's stream are left out; the other stream keeps
 * its lines. */
#include <string.h>

#include "cli.h"

#define DETAIL_MAX 8192

static struct {
    int on;
    const char *command;
    int data_on_stdout;
    struct json_out members; /* the command's own members, as one object */
    const char *code;        /* the first failure recorded, or NULL */
    int exit;
    char detail[DETAIL_MAX];
} run;

/* The members of each command, written as null when the command has not
 * recorded them (it failed before knowing them). */
static const char *const inspect_members[] = {
    "format", "version", "suite", "chunk_size", "header_size", "payload_size", "recipients",
    NULL};
static const char *const open_members[] = {
    "name", "size", "sha512", "created", "signer", "recipients", "output", NULL};
static const char *const verify_members[] = {
    "name", "size", "sha512", "created", "signer", "recipients", NULL};
/* seal takes --json only in batch mode, whose lines are its own: a usage
 * error before the batch starts is the one object, with no members. */
static const char *const no_members[] = {NULL};
static const char *const key_members[] = {
    "kind", "bits", "fingerprint", "short_fingerprint", "arn", "outputs", NULL};

static const char *const *members_of(const char *command)
{
    if (strcmp(command, "inspect") == 0)
        return inspect_members;
    if (strcmp(command, "open") == 0)
        return open_members;
    if (strcmp(command, "verify") == 0)
        return verify_members;
    if (strcmp(command, "seal") == 0)
        return no_members;
    return key_members;
}

void json_setup(const char *command, int argc, char **argv)
{
    run.command = command;
    run.data_on_stdout = 0;
    json_out_init(&run.members);
    /* Anywhere before "--", so that a usage error in an option before it
     * is still told as JSON. */
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--json") == 0)
            run.on = 1;
}

void json_enable(void)
{
    run.on = 1;
}

int json_on(void)
{
    return run.on;
}

int json_take_over(void)
{
    int was = run.on;

    run.on = 0;
    return was;
}

void json_data_on_stdout(int yes)
{
    run.data_on_stdout = yes;
}

static FILE *json_stream(void)
{
    return run.data_on_stdout ? stderr : stdout;
}

int json_owns(FILE *f)
{
    return run.on && f == json_stream();
}

struct json_out *json_members(void)
{
    return &run.members;
}

void json_error(const char *code, int exit_code, const char *detail)
{
    if (!run.on || run.code != NULL)
        return; /* the first failure is the cause; what follows is cleanup */
    run.code = code;
    run.exit = exit_code;
    snprintf(run.detail, sizeof(run.detail), "%s", detail);
}

static void error_member(struct json_out *j, int ok, int code)
{
    int sig = signals_caught();
    char why[48];

    json_out_key(j, "error");
    if (ok) {
        json_out_null(j);
        return;
    }
    /* The command dies of the signal next (signals_finish): the shell sees
     * 128 plus its number. */
    if (sig) {
        code = 128 + sig;
        snprintf(why, sizeof(why), "interrupted by signal %d", sig);
        json_error("CANCELLED", code, why);
    }
    json_error(exit_code_name(code), code, ""); /* nothing was said: the class only */
    json_out_begin_object(j);
    json_out_member_string(j, "code", run.code);
    json_out_key(j, "exit");
    json_out_int(j, code);
    json_out_member_string(j, "detail", run.detail);
    json_out_end_object(j);
}

static void nulls(struct json_out *j)
{
    for (const char *const *m = members_of(run.command); *m; m++)
        json_out_member_null(j, *m);
}

/* The run's object, for exit code code, into j. */
static void json_build(struct json_out *j, int code)
{
    int ok = code == EXIT_OK && signals_caught() == 0;

    json_out_begin_object(j);
    json_out_member_uint(j, "schema", 1);
    json_out_member_string(j, "command", run.command);
    json_out_key(j, "ok");
    json_out_bool(j, ok);
    error_member(j, ok, code);
    /* Data recorded by a command that then failed is still left out: it
     * may describe an output that was not kept. */
    if (ok && json_out_text(&run.members) != NULL)
        json_out_members_of(j, &run.members);
    else
        nulls(j);
    json_out_end_object(j);
}

int json_finish(int code)
{
    struct json_out j;
    const char *text;
    FILE *f = json_stream();

    if (!run.on)
        return code;
    json_out_init(&j);
    json_build(&j, code);
    run.on = 0; /* what is reported from now on is plain text again */
    if ((text = json_out_text(&j)) == NULL)
        code = fail_with(code == EXIT_OK ? EXIT_IO : code, "out of memory writing JSON");
    else if (fprintf(f, "%s\n", text) < 0 && f == stderr && code == EXIT_OK)
        code = EXIT_IO; /* stdout's failure is told by stdout_close */
    json_out_free(&j);
    json_out_free(&run.members);
    return code;
}
