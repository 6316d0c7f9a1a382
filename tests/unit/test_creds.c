/* The credential chain without a network: the AWS config file reader
 * (aws_ini.c), profiles in the shared credentials and config files, the
 * region from a profile, credential_process (with /bin/sh scripts), times,
 * the chain's order, and that no secret ever reaches a detail. The
 * container and IMDS sources are covered against a loopback server by
 * tests/kms/run.sh; here only a container answer past the HTTP cap, which
 * that server does not send. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aws/aws_ini.h"
#include "base/context.h"
#include "aws/creds.h"
#include "aws/http.h"
#include "aws/region.h"
#include "testutil.h"

#define SECRET "s3cr3t/value/that/must/not/leak"
#define TOKEN "session/token/that/must/not/leak"
#define STARS "*******************************" /* as long as SECRET */

static envelope_ctx *ctx;
static char *dir;

static void setup(void)
{
    isolate_aws_env();
    dir = make_temp_dir();
    ck_assert_int_eq(envelope_ctx_new(&ctx), ENVELOPE_OK);
}

static void teardown(void)
{
    envelope_ctx_free(ctx);
    rm_tree(dir);
    free(dir);
    isolate_aws_env();
}

static const char *path_in(const char *name)
{
    static char p[4][4096];
    static int i;

    i = (i + 1) % 4;
    snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
    return p[i];
}

static const char *write_text(const char *name, const char *text)
{
    const char *p = path_in(name);

    write_file(p, (const uint8_t *)text, strlen(text));
    return p;
}

static void assert_detail(const char *want)
{
    ck_assert_msg(strcmp(envelope_ctx_detail(ctx), want) == 0, "detail \"%s\"\n  want \"%s\"",
                  envelope_ctx_detail(ctx), want);
}

static void assert_no_secret(void)
{
    ck_assert_msg(strstr(envelope_ctx_detail(ctx), "must/not/leak") == NULL, "leaked: %s",
                  envelope_ctx_detail(ctx));
}

/* ---------------------------------------------------------------- aws_ini */

struct seen {
    char text[2048];
    int stop_at;
    int calls;
};

static int record(void *arg, const struct aws_ini_item *it)
{
    struct seen *s = arg;
    size_t n = strlen(s->text);

    snprintf(s->text + n, sizeof(s->text) - n, "%s[%.*s]%s%.*s%.*s=%.*s@%u;",
             it->nested ? "  " : "", (int)it->section_len, it->section, it->nested ? "" : "",
             it->nested ? (int)it->parent_len : 0, it->nested ? it->parent : "",
             (int)it->key_len, it->key, (int)it->value_len, it->value, it->line);
    return ++s->calls == s->stop_at ? 42 : 0;
}

static int parse(const char *text, struct seen *s, struct aws_ini_error *err)
{
    memset(s, 0, sizeof(*s));
    return aws_ini_parse(text, strlen(text), record, s, err);
}

START_TEST(ini_accepts)
{
    struct aws_ini_error err;
    struct seen s;

    ck_assert_int_eq(parse("", &s, &err), 0);
    ck_assert_str_eq(s.text, "");
    ck_assert_int_eq(parse("# comment\n; other\n\n[default]\r\n"
                           "aws_access_key_id = AKIA  \n"
                           "  \t\n"
                           "\tkey#x=a = b # not a comment\n",
                           &s, &err), -1);
    ck_assert_uint_eq(err.line, 7); /* an indented line after a value */
    ck_assert_int_eq(parse("[ profile  dev ] # comment\n"
                           "region=eu-west-3\n"
                           "s3 =\n"
                           "    max_concurrent_requests = 20\n"
                           "  ; indented comment\n"
                           "    addressing_style = path\n"
                           "output = json\n"
                           "[other]\n"
                           "empty =\n"
                           "x.y-z_1 = a = b # kept\n",
                           &s, &err), 0);
    ck_assert_str_eq(s.text, "[profile  dev]region=eu-west-3@2;[profile  dev]s3=@3;"
                             "  [profile  dev]s3max_concurrent_requests=20@4;"
                             "  [profile  dev]s3addressing_style=path@6;"
                             "[profile  dev]output=json@7;[other]empty=@9;"
                             "[other]x.y-z_1=a = b # kept@10;");
    /* The callback's non-zero return stops the parse and is returned. */
    memset(&s, 0, sizeof(s));
    s.stop_at = 2;
    ck_assert_int_eq(aws_ini_parse("[a]\nk=1\nl=2\nm=3\n", 16, record, &s, &err), 42);
    ck_assert_int_eq(s.calls, 2);
    /* No final newline; a length short of the NUL. */
    ck_assert_int_eq(aws_ini_parse("[a]\nk=1\nzzz", 7, record, &s, &err), 0);
}
END_TEST

START_TEST(ini_refuses)
{
    static const struct {
        const char *text;
        unsigned line;
        const char *reason;
    } cases[] = {
        {"k = v\n", 1, "a property before any section header"},
        {"[a\n", 1, "a section header without its closing ']'"},
        {"[]\n", 1, "an empty section name"},
        {"[  ]\n", 1, "an empty section name"},
        {"[a] b\n", 1, "text after a section header"},
        {"[a[b]\n", 1, "a '[' inside a section name"},
        {"[a]\n  [b]\n", 2, "an indented section header"},
        {"[a]\njust words\n", 2, "a line that is neither a section, a property nor a comment"},
        {"[a]\n= v\n", 2, "a property name that is empty, longer than 128 characters, or not "
                          "made of letters, digits, '_', '-' and '.'"},
        {"[a]\nk ey = v\n", 2, "a property name that is empty"},
        {"[a]\nk = v\n  more\n", 3, "an indented line continuing a value (not supported)"},
        {"[a]\n  k = v\n", 2, "an indented line outside a nested setting"},
        {"[a]\ns3 =\n  k =\n", 3, "a nested setting without a value"},
        {"[a]\nk = v\x01\n", 2, "a control character"},
        {"[a]\nk = v\rw\n", 2, "a control character"},
        {"[a]\nk = \x7f\n", 2, "a control character"},
    };
    struct aws_ini_error err;
    struct seen s;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ck_assert_msg(parse(cases[i].text, &s, &err) == -1, "case %zu accepted", i);
        ck_assert_msg(err.line == cases[i].line, "case %zu: line %u", i, err.line);
        ck_assert_msg(strncmp(err.reason, cases[i].reason, strlen(cases[i].reason)) == 0,
                      "case %zu: %s", i, err.reason);
        ck_assert_ptr_eq(strstr(err.reason, "v\x01"), NULL);
    }
    ck_assert_int_eq(aws_ini_parse("[a]\nk=\0v\n", 9, record, &s, &err), -1);
    ck_assert_str_eq(err.reason, "a NUL byte: not a text file");
    ck_assert_uint_eq(err.line, 0);
}
END_TEST

START_TEST(ini_bounds)
{
    size_t big = AWS_INI_LINE_MAX + 16;
    char *text = malloc(AWS_INI_MAX + 2);
    struct aws_ini_error err;

    ck_assert_ptr_nonnull(text);
    /* A line of exactly the maximum passes; one more character fails. */
    memcpy(text, "[a]\nk=", 6);
    memset(text + 6, 'x', AWS_INI_LINE_MAX - 2);
    text[4 + AWS_INI_LINE_MAX] = '\n';
    ck_assert_int_eq(aws_ini_parse(text, 5 + AWS_INI_LINE_MAX, NULL, NULL, &err), 0);
    memset(text + 6, 'x', big);
    ck_assert_int_eq(aws_ini_parse(text, 6 + big, NULL, NULL, &err), -1);
    ck_assert_str_eq(err.reason, "a line longer than 16384 characters");
    /* A section name of 255 passes, 256 fails. */
    text[0] = '[';
    memset(text + 1, 'n', 256);
    text[256] = ']';
    ck_assert_int_eq(aws_ini_parse(text, 257, NULL, NULL, &err), 0);
    text[257] = ']';
    text[256] = 'n';
    ck_assert_int_eq(aws_ini_parse(text, 258, NULL, NULL, &err), -1);
    ck_assert_str_eq(err.reason, "a section name longer than 255 characters");
    /* The whole file: 1 MiB of comments passes, one byte more fails. */
    memset(text, '#', AWS_INI_MAX + 1);
    for (size_t i = 1000; i < AWS_INI_MAX; i += 1000)
        text[i] = '\n';
    ck_assert_int_eq(aws_ini_parse(text, AWS_INI_MAX, NULL, NULL, &err), 0);
    ck_assert_int_eq(aws_ini_parse(text, AWS_INI_MAX + 1, NULL, NULL, &err), -1);
    ck_assert_str_eq(err.reason, "larger than 1 MiB");
    free(text);
}
END_TEST

/* -------------------------------------------------------------- profiles */

static const char *credentials_file(void)
{
    return write_text("credentials",
                      "[default]\n"
                      "aws_access_key_id = AKIADEFAULT\n"
                      "aws_secret_access_key = " SECRET "\n"
                      "[dev]\n"
                      "Aws_Access_Key_Id=AKIADEV\n"
                      "aws_secret_access_key=" SECRET "\n"
                      "aws_session_token=" TOKEN "\n"
                      "[both]\n"
                      "aws_access_key_id = AKIACREDFILE\n"
                      "aws_secret_access_key = " SECRET "\n"
                      "[twice]\n"
                      "aws_access_key_id = AKIA1\n"
                      "aws_access_key_id = AKIA2\n"
                      "[half]\n"
                      "aws_secret_access_key = " SECRET "\n");
}

static const char *config_file(void)
{
    return write_text("config",
                      "[default]\n"
                      "region = eu-central-1\n"
                      "[profile cfg]\n"
                      "aws_access_key_id = AKIACONFIG\n"
                      "aws_secret_access_key = " SECRET "\n"
                      "region = ap-south-1\n"
                      "[cfg-plain]\n"
                      "aws_access_key_id = AKIANOTAPROFILE\n"
                      "aws_secret_access_key = " SECRET "\n"
                      "[profile both]\n"
                      "aws_access_key_id = AKIACONFIGBOTH\n"
                      "aws_secret_access_key = " SECRET "\n"
                      "[profile badregion]\n"
                      "region = EU west\n"
                      "[profile role]\n"
                      "role_arn = arn:aws:iam::111122223333:role/r\n"
                      "source_profile = default\n"
                      "[profile sso]\n"
                      "sso_session = corp\n"
                      "[profile empty]\n");
}

static void use_files(void)
{
    setenv("AWS_SHARED_CREDENTIALS_FILE", credentials_file(), 1);
    setenv("AWS_CONFIG_FILE", config_file(), 1);
}

START_TEST(profiles_in_files)
{
    struct aws_creds c;
    char want[16384];

    use_files();
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_OK);
    ck_assert_str_eq(c.access_key_id, "AKIADEFAULT");
    ck_assert_str_eq(c.secret_access_key, SECRET);
    ck_assert_ptr_null(c.session_token);
    ck_assert_int_eq(c.expiration, 0);
    snprintf(want, sizeof(want), "shared credentials file %s, profile default", path_in("credentials"));
    ck_assert_str_eq(c.source, want);
    creds_free(&c);
    ck_assert_ptr_null(c.secret_access_key);

    setenv("AWS_PROFILE", "dev", 1);
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_OK);
    ck_assert_str_eq(c.access_key_id, "AKIADEV");
    ck_assert_str_eq(c.session_token, TOKEN);
    creds_free(&c);

    setenv("AWS_PROFILE", "cfg", 1);
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_OK);
    ck_assert_str_eq(c.access_key_id, "AKIACONFIG");
    snprintf(want, sizeof(want), "config file %s, profile cfg", path_in("config"));
    ck_assert_str_eq(c.source, want);
    creds_free(&c);

    /* The credentials file before the config file for one profile. */
    setenv("AWS_PROFILE", "both", 1);
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_OK);
    ck_assert_str_eq(c.access_key_id, "AKIACREDFILE");
    creds_free(&c);

    /* AWS_PROFILE before AWS_DEFAULT_PROFILE; then the older name. */
    setenv("AWS_DEFAULT_PROFILE", "dev", 1);
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_OK);
    ck_assert_str_eq(c.access_key_id, "AKIACREDFILE");
    creds_free(&c);
    unsetenv("AWS_PROFILE");
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_OK);
    ck_assert_str_eq(c.access_key_id, "AKIADEV");
    creds_free(&c);
    unsetenv("AWS_DEFAULT_PROFILE");

    /* The environment before any file. */
    setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_OK);
    ck_assert_str_eq(c.access_key_id, "AKIAENV");
    ck_assert_str_eq(c.source, "environment");
    creds_free(&c);
}
END_TEST

START_TEST(profiles_refused)
{
    struct aws_creds c;
    char want[16384];

    use_files();
    setenv("AWS_PROFILE", "cfg-plain", 1); /* [NAME] in config is not a profile */
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_E_CREDENTIALS);
    snprintf(want, sizeof(want), "the profile cfg-plain named by AWS_PROFILE is in neither %s nor %s",
             path_in("credentials"), path_in("config"));
    assert_detail(want);
    ck_assert_ptr_null(c.secret_access_key);

    setenv("AWS_PROFILE", "twice", 1);
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_E_CREDENTIALS);
    snprintf(want, sizeof(want), "%s line 13: a setting of profile twice given twice",
             path_in("credentials"));
    assert_detail(want);

    setenv("AWS_PROFILE", "half", 1);
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_E_CREDENTIALS);
    snprintf(want, sizeof(want), "shared credentials file %s, profile half: "
             "aws_secret_access_key is set but aws_access_key_id is not", path_in("credentials"));
    assert_detail(want);
    assert_no_secret();

    /* A role is assumed through STS, in a region that must be known. */
    setenv("AWS_PROFILE", "role", 1);
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_E_CREDENTIALS);
    assert_detail("no AWS region to reach STS in: set AWS_REGION (or region in the profile), "
                  "or name the KMS key by its ARN");

    /* SSO goes through credential_process. */
    setenv("AWS_PROFILE", "sso", 1);
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_E_CREDENTIALS);
    snprintf(want, sizeof(want), "profile sso (%s) uses IAM Identity Center (SSO), which this "
             "library does not do itself: use another profile with credential_process = aws "
             "configure export-credentials --profile sso --format process (docs/KEYS.md)",
             path_in("config"));
    assert_detail(want);

    /* An existing profile with no credentials: on down the chain. */
    setenv("AWS_PROFILE", "empty", 1);
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_E_CREDENTIALS);
    assert_detail("no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and "
                  "AWS_SESSION_TOKEN for temporary credentials), or AWS_PROFILE to a profile in "
                  "the shared credentials or config file");

    setenv("AWS_PROFILE", "bad name", 1);
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_E_CREDENTIALS);
    assert_detail("AWS_PROFILE is not a profile name (printable, no spaces or brackets, at most "
                  "128 characters)");

    /* A malformed file: its path and line, and not a byte of its text. */
    unsetenv("AWS_PROFILE");
    setenv("AWS_SHARED_CREDENTIALS_FILE",
           write_text("broken", "[default]\naws_secret_access_key " SECRET "\n"), 1);
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_E_CREDENTIALS);
    snprintf(want, sizeof(want), "%s line 2: a line that is neither a section, a property nor "
             "a comment", path_in("broken"));
    assert_detail(want);
    assert_no_secret();

    /* A directory is not a file we can read. */
    setenv("AWS_SHARED_CREDENTIALS_FILE", dir, 1);
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_E_CREDENTIALS);
    snprintf(want, sizeof(want), "cannot read %s: Is a directory", dir);
    assert_detail(want);

    /* A missing file is an empty one. */
    setenv("AWS_SHARED_CREDENTIALS_FILE", path_in("absent"), 1);
    setenv("AWS_CONFIG_FILE", path_in("absent2"), 1);
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_E_CREDENTIALS);
    assert_detail("no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and "
                  "AWS_SESSION_TOKEN for temporary credentials), or AWS_PROFILE to a profile in "
                  "the shared credentials or config file");
}
END_TEST

START_TEST(default_paths_under_home)
{
    struct aws_creds c;
    char aws[4096], *home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;

    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    unsetenv("AWS_CONFIG_FILE");
    setenv("HOME", dir, 1);
    snprintf(aws, sizeof(aws), "%s/.aws", dir);
    ck_assert_int_eq(mkdir(aws, 0700), 0);
    write_text(".aws/credentials", "[default]\naws_access_key_id=AKIAHOME\n"
                                   "aws_secret_access_key=" SECRET "\n");
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_OK);
    ck_assert_str_eq(c.access_key_id, "AKIAHOME");
    creds_free(&c);
    /* "~/" in a variable is the home directory, as in the AWS CLI. */
    write_text("elsewhere", "[default]\naws_access_key_id=AKIATILDE\n"
                            "aws_secret_access_key=" SECRET "\n");
    setenv("AWS_SHARED_CREDENTIALS_FILE", "~/elsewhere", 1);
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_OK);
    ck_assert_str_eq(c.access_key_id, "AKIATILDE");
    creds_free(&c);
    if (home)
        setenv("HOME", home, 1);
    free(home);
}
END_TEST

START_TEST(region_from_profile)
{
    char region[REGION_MAX + 1];
    char want[8192];

    use_files();
    ck_assert_rc(region_resolve(ctx, region), ENVELOPE_OK);
    ck_assert_str_eq(region, "eu-central-1"); /* [default] of the config file */
    setenv("AWS_PROFILE", "cfg", 1);
    ck_assert_rc(region_resolve(ctx, region), ENVELOPE_OK);
    ck_assert_str_eq(region, "ap-south-1");
    setenv("AWS_DEFAULT_REGION", "us-west-1", 1);
    ck_assert_rc(region_resolve(ctx, region), ENVELOPE_OK);
    ck_assert_str_eq(region, "us-west-1");
    setenv("AWS_REGION", "us-west-2", 1);
    ck_assert_rc(region_resolve(ctx, region), ENVELOPE_OK);
    ck_assert_str_eq(region, "us-west-2");
    unsetenv("AWS_REGION");
    unsetenv("AWS_DEFAULT_REGION");
    setenv("AWS_PROFILE", "dev", 1); /* no region anywhere for dev */
    ck_assert_rc(region_resolve(ctx, region), ENVELOPE_OK);
    ck_assert_str_eq(region, "");
    setenv("AWS_PROFILE", "badregion", 1);
    ck_assert_rc(region_resolve(ctx, region), ENVELOPE_E_INVALID_ARGUMENT);
    snprintf(want, sizeof(want), "%s line 14: region = EU west is not a region name",
             path_in("config"));
    assert_detail(want);
}
END_TEST

/* ------------------------------------------------------ credential_process */

static void process_profile(const char *script)
{
    char config[8192];
    const char *sh = write_text("cp.sh", script);

    snprintf(config, sizeof(config), "[profile proc]\ncredential_process = sh %s %s\n", sh,
             path_in("count"));
    setenv("AWS_CONFIG_FILE", write_text("config", config), 1);
    setenv("AWS_PROFILE", "proc", 1);
}

static const char *process_what(void)
{
    static char what[8192];

    snprintf(what, sizeof(what), "credential_process of profile proc (%s line 2)",
             path_in("config"));
    return what;
}

START_TEST(process_credentials)
{
    struct aws_creds c;
    time_t t;

    process_profile("echo run >>\"$1\"\n"
                    "cat <<EOF\n"
                    "{\"Version\": 1, \"AccessKeyId\": \"ASIAPROC\",\n"
                    " \"SecretAccessKey\": \"" SECRET "\", \"SessionToken\": \"" TOKEN "\",\n"
                    " \"Expiration\": \"2031-02-03T04:05:06Z\"}\n"
                    "EOF\n");
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_OK);
    ck_assert_str_eq(c.access_key_id, "ASIAPROC");
    ck_assert_str_eq(c.secret_access_key, SECRET);
    ck_assert_str_eq(c.session_token, TOKEN);
    ck_assert_int_eq(creds_parse_time("2031-02-03T04:05:06Z", 20, &t), 0);
    ck_assert_int_eq(c.expiration, t);
    ck_assert_str_eq(c.source, "credential_process of profile proc");
    ck_assert_int_eq(creds_expiring(&c, t - CREDS_REFRESH_WINDOW - 1), 0);
    ck_assert_int_eq(creds_expiring(&c, t - CREDS_REFRESH_WINDOW), 1);
    ck_assert_int_eq(creds_expiring(&c, t + 1), 1);
    creds_free(&c);
    ck_assert_int_eq(creds_expiring(&c, t + 1), 0); /* no expiration: never */
    /* Static keys in the profile come first: the process does not run. */
    setenv("AWS_SHARED_CREDENTIALS_FILE",
           write_text("credentials", "[proc]\naws_access_key_id=AKIASTATIC\n"
                                     "aws_secret_access_key=" SECRET "\n"), 1);
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_OK);
    ck_assert_str_eq(c.access_key_id, "AKIASTATIC");
    creds_free(&c);
    {
        size_t len = 0;
        uint8_t *count = read_file(path_in("count"), &len);

        ck_assert_uint_eq(len, 4); /* one run */
        free(count);
    }
}
END_TEST

START_TEST(process_failures)
{
    static const struct {
        const char *script, *detail;
    } cases[] = {
        {"echo '{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"" SECRET "\"}'\n"
         "echo 'token expired for " SECRET "' >&2\necho 'second line' >&2\nexit 3\n",
         "exit status 3: token expired for " STARS},
        /* A secret of '*' alone matches its own mask: masked, not looped on. */
        {"echo '{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"****\"}'\n"
         "echo 'refused ****, ******** and *****' >&2\nexit 5\n",
         "exit status 5: refused ****, ******** and *****"},
        {"kill -9 $PPID\nsleep 1\n", "killed by signal 9"}, /* the shell that ran it */
        {"echo 'not json " SECRET "'\n",
         "printed 41 bytes that are not one JSON object (expected Version 1, AccessKeyId, "
         "SecretAccessKey, SessionToken, Expiration)"},
        {"echo '{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"" SECRET "\"}'\n",
         "the JSON printed has no \"Version\": 1"},
        {"echo '{\"Version\":\"1\",\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"" SECRET "\"}'\n",
         "the JSON printed has no \"Version\": 1"},
        {"echo '{\"Version\":1,\"SecretAccessKey\":\"" SECRET "\"}'\n",
         "the answer has no string AccessKeyId"},
        {"echo '{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"" SECRET "\","
         "\"Expiration\":\"tomorrow\"}'\n",
         "Expiration is not an RFC 3339 time (2024-05-01T12:00:00Z)"},
        {"echo '{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"has space\"}'\n",
         "the secret access key is not one (printable, at most 128 characters)"},
        {"head -c 70000 /dev/zero | tr '\\0' ' '\n", "printed more than 65536 bytes"},
        {"", "printed 0 bytes that are not one JSON object (expected Version 1, AccessKeyId, "
             "SecretAccessKey, SessionToken, Expiration)"},
    };
    struct aws_creds c;
    char want[16384];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        process_profile(cases[i].script);
        ck_assert_rc(creds_load(ctx, &c), ENVELOPE_E_CREDENTIALS);
        ck_assert_ptr_null(c.secret_access_key);
        snprintf(want, sizeof(want), "%s: %s", process_what(), cases[i].detail);
        assert_detail(want);
        assert_no_secret();
    }
}
END_TEST

/* The pid a script wrote into the file name, failing the test if none. */
static pid_t pid_from(const char *name)
{
    size_t len = 0;
    char *text;
    long pid;

    ck_assert_msg(access(path_in(name), R_OK) == 0, "the command wrote no %s", name);
    text = (char *)read_file(path_in(name), &len);
    pid = strtol(text, NULL, 10);
    free(text);
    ck_assert_msg(pid > 1, "%s holds no pid", name);
    return (pid_t)pid;
}

/* Makes this process the reaper of the commands' orphans, for
 * assert_dead() where there are no pidfds (under valgrind). */
static void adopt_orphans(void)
{
    ck_assert_msg(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0, "PR_SET_CHILD_SUBREAPER: %s",
                  strerror(errno));
}

/* Without pidfds: reaps the orphans adopt_orphans() made ours until pid is
 * among them or none is left. A process is reparented before its parent
 * reports its own exit, so none is missed; a pid that never dies blocks
 * here until the suite's timeout. */
static void reap_until(pid_t pid, const char *what)
{
    pid_t got;

    mark_point();
    while ((got = waitpid(-1, NULL, 0)) != pid && (got >= 0 || errno == EINTR))
        ;
    ck_assert_msg(got == pid || (kill(pid, 0) != 0 && errno == ESRCH),
                  "%s (pid %d) still runs after creds_load returned", what, (int)pid);
}

/* Asserts that pid is dead: gone, or a zombie. SIGKILL is delivered
 * asynchronously to a process that is not our child, so this waits for its
 * exit on a pidfd; 20 s is a bound on a failure, not a synchronisation. */
static void assert_dead(pid_t pid, const char *what)
{
    int fd = pidfd_open(pid, 0);
    struct pollfd p = {fd, POLLIN, 0};
    int n;

    if (fd < 0 && errno == ENOSYS) {
        reap_until(pid, what);
        return;
    }
    if (fd < 0) {
        ck_assert_msg(errno == ESRCH, "pidfd_open(%d): %s", (int)pid, strerror(errno));
        return;
    }
    n = poll(&p, 1, 20000);
    close(fd);
    ck_assert_msg(n == 1, "%s (pid %d) still runs after creds_load returned", what, (int)pid);
}

/* Leaves the controlling terminal, if any: the command then gets a process
 * group of its own, as it would under a service manager. */
static void detach_terminal(void)
{
    int fd = open("/dev/tty", O_RDONLY | O_NOCTTY);

    if (fd >= 0) {
        ck_assert_msg(ioctl(fd, TIOCNOTTY) == 0, "TIOCNOTTY: %s", strerror(errno));
        close(fd);
    }
    ck_assert_msg(open("/dev/tty", O_RDONLY | O_NOCTTY) < 0, "still a controlling terminal");
}

/* A command that closes its output and sleeps, and a child it started,
 * both in the command's own process group (no controlling terminal here):
 * the deadline kills them all. */
START_TEST(process_timeout)
{
    struct aws_creds c;
    char want[16384];

    detach_terminal();
    adopt_orphans();
    setenv("ENVELOPE_CREDENTIAL_PROCESS_TIMEOUT_MS", "2000", 1);
    snprintf(want, sizeof(want),
             "exec >&- 2>&-\nsleep 1000 &\necho $! >%s\necho $$ >%s\nwait\n",
             path_in("child"), path_in("pid"));
    process_profile(want);
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_E_CREDENTIALS);
    ck_assert_ptr_null(c.secret_access_key);
    snprintf(want, sizeof(want),
             "%s: timed out: still running after 2000 ms "
             "(ENVELOPE_CREDENTIAL_PROCESS_TIMEOUT_MS), killed",
             process_what());
    assert_detail(want);
    assert_dead(pid_from("pid"), "the command");
    assert_dead(pid_from("child"), "the command's child");
}
END_TEST

/* Output without end: stdout is cut at its cap at once, stderr by the
 * deadline; the command is gone either way. */
START_TEST(process_endless_output)
{
    struct aws_creds c;
    char want[16384];

    detach_terminal();
    adopt_orphans();
    setenv("ENVELOPE_CREDENTIAL_PROCESS_TIMEOUT_MS", "3600000", 1);
    snprintf(want, sizeof(want), "echo $$ >%s\nexec yes\n", path_in("pid"));
    process_profile(want);
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_E_CREDENTIALS);
    snprintf(want, sizeof(want), "%s: printed more than 65536 bytes", process_what());
    assert_detail(want);
    assert_dead(pid_from("pid"), "the command");

    setenv("ENVELOPE_CREDENTIAL_PROCESS_TIMEOUT_MS", "2000", 1);
    snprintf(want, sizeof(want), "echo $$ >%s\nexec yes " SECRET " >&2\n", path_in("pid"));
    process_profile(want);
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_E_CREDENTIALS);
    snprintf(want, sizeof(want),
             "%s: timed out: still running after 2000 ms "
             "(ENVELOPE_CREDENTIAL_PROCESS_TIMEOUT_MS), killed",
             process_what());
    assert_detail(want);
    assert_no_secret();
    assert_dead(pid_from("pid"), "the command");
}
END_TEST

START_TEST(process_timeout_refused)
{
    static const char *const values[] = {"0", "-1", "abc", "2s", "3600001",
                                         "99999999999999999999999"};
    struct aws_creds c;
    char want[256];

    process_profile("echo run >>\"$1\"\n");
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        setenv("ENVELOPE_CREDENTIAL_PROCESS_TIMEOUT_MS", values[i], 1);
        ck_assert_rc(creds_load(ctx, &c), ENVELOPE_E_INVALID_ARGUMENT);
        snprintf(want, sizeof(want),
                 "ENVELOPE_CREDENTIAL_PROCESS_TIMEOUT_MS=%.20s: not a number from 1 to 3600000",
                 values[i]);
        assert_detail(want);
    }
    ck_assert_msg(access(path_in("count"), F_OK) != 0, "the command ran");
}
END_TEST

static void on_usr1(int sig)
{
    (void)sig;
    envelope_kill_helpers();
}

/* Waits until the command has started (it opens the FIFO), then signals
 * this process, whose handler ends the command. */
static void *signal_when_started(void *fifo)
{
    char buf[32];
    int fd = open(fifo, O_RDONLY);

    if (fd >= 0) {
        while (read(fd, buf, sizeof(buf)) > 0)
            ;
        close(fd);
    }
    kill(getpid(), SIGUSR1);
    return NULL;
}

/* envelope_kill_helpers() from a signal handler ends a running command
 * long before its deadline, and the caller lives on. */
START_TEST(process_killed_by_handler)
{
    struct sigaction sa;
    struct aws_creds c;
    pthread_t t;
    char script[16384], fifo[4096];

    snprintf(fifo, sizeof(fifo), "%s", path_in("started")); /* path_in's slots rotate */
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_usr1;
    ck_assert_int_eq(sigaction(SIGUSR1, &sa, NULL), 0);
    adopt_orphans();
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    setenv("ENVELOPE_CREDENTIAL_PROCESS_TIMEOUT_MS", "3600000", 1);
    snprintf(script, sizeof(script), "echo $$ >%s\necho started >%s\nexec sleep 1000\n",
             path_in("pid"), fifo);
    process_profile(script);
    ck_assert_int_eq(pthread_create(&t, NULL, signal_when_started, (void *)fifo), 0);
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_E_CREDENTIALS);
    pthread_join(t, NULL);
    snprintf(script, sizeof(script), "%s: killed by signal 9", process_what());
    assert_detail(script);
    assert_dead(pid_from("pid"), "the command");
    envelope_kill_helpers(); /* none running: a no-op */
}
END_TEST

/* The command signals its caller first thing, so the handler's kill may
 * come before the library has the command in its table: it must end the
 * command all the same, whichever comes first. */
START_TEST(process_killed_as_it_starts)
{
    struct sigaction sa;
    struct aws_creds c;
    char script[16384], want[16384 + 64];

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_usr1;
    ck_assert_int_eq(sigaction(SIGUSR1, &sa, NULL), 0);
    adopt_orphans();
    setenv("ENVELOPE_CREDENTIAL_PROCESS_TIMEOUT_MS", "3600000", 1);
    snprintf(script, sizeof(script), "echo $$ >%s\nkill -USR1 %d\nexec sleep 1000\n",
             path_in("pid"), (int)getpid());
    process_profile(script);
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_E_CREDENTIALS);
    snprintf(want, sizeof(want), "%s: killed by signal 9", process_what());
    assert_detail(want);
    assert_dead(pid_from("pid"), "the command");
}
END_TEST

static void on_usr1_cancel(int sig)
{
    (void)sig;
    envelope_cancel(ctx);
}

/* envelope_cancel() from a handler, without envelope_kill_helpers(): the
 * call notices within its check interval, kills the command itself and
 * fails as interrupted. */
START_TEST(process_cancelled)
{
    struct sigaction sa;
    struct aws_creds c;
    pthread_t t;
    char script[16384], fifo[4096];

    snprintf(fifo, sizeof(fifo), "%s", path_in("started"));
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_usr1_cancel;
    ck_assert_int_eq(sigaction(SIGUSR1, &sa, NULL), 0);
    adopt_orphans();
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    setenv("ENVELOPE_CREDENTIAL_PROCESS_TIMEOUT_MS", "3600000", 1);
    snprintf(script, sizeof(script), "echo $$ >%s\necho started >%s\nexec sleep 1000\n",
             path_in("pid"), fifo);
    process_profile(script);
    ck_assert_int_eq(pthread_create(&t, NULL, signal_when_started, (void *)fifo), 0);
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_E_CANCELLED);
    pthread_join(t, NULL);
    assert_detail("interrupted");
    assert_dead(pid_from("pid"), "the command");
    /* A cancelled context starts no command. */
    ck_assert_int_eq(unlink(path_in("pid")), 0);
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_E_CANCELLED);
    ck_assert_msg(access(path_in("pid"), F_OK) != 0, "a command ran on a cancelled context");
}
END_TEST

/* ------------------------------------------------------------------ times */

START_TEST(rfc3339_times)
{
    static const struct {
        const char *s;
        long long t;
    } good[] = {
        {"1970-01-01T00:00:00Z", 0},
        {"2024-05-01T12:00:00Z", 1714564800},
        {"2024-05-01T12:00:00.123456Z", 1714564800},
        {"2024-05-01t12:00:00z", 1714564800},
        {"2024-05-01T14:00:00+02:00", 1714564800},
        {"2024-05-01T11:30:00-00:30", 1714564800},
        {"2000-02-29T23:59:59Z", 951868799},
    };
    static const char *const bad[] = {
        "", "2024-05-01", "2024-05-01T12:00:00", "2024-05-01 12:00:00Z", "2024-13-01T12:00:00Z",
        "2024-05-32T12:00:00Z", "2024-05-01T24:00:00Z", "2024-05-01T12:00:00.Z",
        "2024-05-01T12:00:00+0200", "2024-05-01T12:00:00ZZ", "1969-12-31T23:59:59Z",
        "2024-05-01T12:00:00.1234567890Z", "+024-05-01T12:00:00Z"};
    time_t t;

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        ck_assert_msg(creds_parse_time(good[i].s, strlen(good[i].s), &t) == 0, "%s", good[i].s);
        ck_assert_msg((long long)t == good[i].t, "%s: %lld", good[i].s, (long long)t);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(creds_parse_time(bad[i], strlen(bad[i]), &t) == -1, "%s", bad[i]);
}
END_TEST

/* ------------------------------------------------- containers (no network) */

START_TEST(container_urls_refused)
{
    static const struct {
        const char *var, *value, *detail;
    } cases[] = {
        {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "creds",
         "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI must be a path beginning with /"},
        {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "ftp://127.0.0.1/creds",
         "AWS_CONTAINER_CREDENTIALS_FULL_URI must be an http:// or https:// URL"},
        {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://user@127.0.0.1/creds",
         "AWS_CONTAINER_CREDENTIALS_FULL_URI must not carry a user name"},
        {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://10.0.0.1/creds",
         "AWS_CONTAINER_CREDENTIALS_FULL_URI: plain http:// only to the loopback"},
        {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1.example.com/creds",
         "AWS_CONTAINER_CREDENTIALS_FULL_URI: plain http:// only to the loopback"},
        {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://128.0.0.1:80/creds",
         "AWS_CONTAINER_CREDENTIALS_FULL_URI: plain http:// only to the loopback"},
        {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://[::2]:80/creds",
         "AWS_CONTAINER_CREDENTIALS_FULL_URI: plain http:// only to the loopback"},
        {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.+1.0.1/creds",
         "AWS_CONTAINER_CREDENTIALS_FULL_URI: plain http:// only to the loopback"},
        {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1.1/creds",
         "AWS_CONTAINER_CREDENTIALS_FULL_URI: plain http:// only to the loopback"},
        {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.256/creds",
         "AWS_CONTAINER_CREDENTIALS_FULL_URI: plain http:// only to the loopback"},
        {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0..1/creds",
         "AWS_CONTAINER_CREDENTIALS_FULL_URI: plain http:// only to the loopback"},
        {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://localhost.example:80/creds",
         "AWS_CONTAINER_CREDENTIALS_FULL_URI: plain http:// only to the loopback"},
    };
    struct aws_creds c;
    char want[512];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
        unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
        setenv(cases[i].var, cases[i].value, 1);
        ck_assert_rc(creds_load(ctx, &c), ENVELOPE_E_CREDENTIALS);
        ck_assert_msg(strncmp(envelope_ctx_detail(ctx), cases[i].detail,
                              strlen(cases[i].detail)) == 0,
                      "%s: %s", cases[i].value, envelope_ctx_detail(ctx));
    }
    /* Accepted hosts get as far as connecting (nothing listens on port 1; no
     * name is looked up: the tests make no DNS query). */
    static const char *const allowed[] = {
        "http://127.0.0.1:1/creds", "http://127.1.2.3:1/creds", "http://localhost:1/creds",
        "http://[::1]:1/creds", "https://127.0.0.1:1/creds"};
    setenv("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "1", 1);
    for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
        setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", allowed[i], 1);
        ck_assert_rc(creds_load(ctx, &c), ENVELOPE_E_CREDENTIALS);
        ck_assert_msg(strncmp(envelope_ctx_detail(ctx), "container credentials from ", 27) == 0 &&
                          strstr(envelope_ctx_detail(ctx), allowed[i]) != NULL,
                      "%s: %s", allowed[i], envelope_ctx_detail(ctx));
    }
    /* A token that would split the header line is refused, unquoted. */
    unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/creds", 1);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "abc\r\nX-Evil: must/not/leak", 1);
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_E_CREDENTIALS);
    assert_detail("AWS_CONTAINER_AUTHORIZATION_TOKEN: the authorization token is empty, longer "
                  "than 16384 bytes, or more than one line");
    assert_no_secret();
    /* A token file is its bytes: a NUL in it refuses it, no request made. */
    write_file(path_in("nul-token"), (const uint8_t *)"abc\0def\n", 8);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", path_in("nul-token"), 1);
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_E_CREDENTIALS);
    snprintf(want, sizeof(want), "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE %s: holds a NUL byte, "
             "not a token", path_in("nul-token"));
    assert_detail(want);
    /* A FIFO is refused, not read (which would block for ever with no
     * writer), and so is a directory; no request made. */
    ck_assert_int_eq(mkfifo(path_in("fifo-token"), 0600), 0);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", path_in("fifo-token"), 1);
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_E_CREDENTIALS);
    snprintf(want, sizeof(want), "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE %s: not a regular file",
             path_in("fifo-token"));
    assert_detail(want);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", dir, 1);
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_E_CREDENTIALS);
    snprintf(want, sizeof(want), "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE %s: not a regular file",
             dir);
    assert_detail(want);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", path_in("no-token-file"), 1);
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_E_CREDENTIALS);
    ck_assert_msg(strstr(envelope_ctx_detail(ctx), ": No such file or directory") != NULL, "%s",
                  envelope_ctx_detail(ctx));
}
END_TEST

/* Answers one request on a loopback socket with 200 and a body of
 * body_len bytes, then closes. */
struct big_answer {
    int fd;
    size_t body_len;
};

static void *answer_big(void *arg)
{
    struct big_answer *a = arg;
    char head[200], req[4096];
    char *body = malloc(a->body_len);
    int c = accept(a->fd, NULL, NULL);

    if (c < 0 || body == NULL) {
        free(body);
        return NULL;
    }
    /* A GET without a body: its head fits in one read here. */
    (void)recv(c, req, sizeof(req), 0);
    memset(body, ' ', a->body_len);
    body[0] = '{';
    snprintf(head, sizeof(head),
             "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
             "Connection: close\r\n\r\n", a->body_len);
    /* The client stops reading at its cap: no SIGPIPE for what it refuses. */
    (void)send(c, head, strlen(head), MSG_NOSIGNAL);
    (void)send(c, body, a->body_len, MSG_NOSIGNAL);
    free(body);
    close(c);
    return NULL;
}

/* A container credentials answer past the HTTP layer's cap: CREDENTIALS
 * naming the endpoint and the cap, no credentials, and no second request. */
START_TEST(container_answer_too_large)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t sl = sizeof(sa);
    struct big_answer a = {-1, HTTP_RESPONSE_MAX + 4096};
    struct aws_creds c;
    char url[64], want[256];
    pthread_t t;
    int again;

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(a.fd, 0);
    ck_assert_int_eq(bind(a.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(listen(a.fd, 4), 0);
    ck_assert_int_eq(getsockname(a.fd, (struct sockaddr *)&sa, &sl), 0);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/creds", (unsigned)ntohs(sa.sin_port));
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
    ck_assert_int_eq(pthread_create(&t, NULL, answer_big, &a), 0);
    ck_assert_rc(creds_load(ctx, &c), ENVELOPE_E_CREDENTIALS);
    pthread_join(t, NULL);
    /* A retry would have connected before creds_load returned. */
    ck_assert_int_eq(fcntl(a.fd, F_SETFL, O_NONBLOCK), 0);
    again = accept(a.fd, NULL, NULL);
    ck_assert_msg(again < 0 && (errno == EAGAIN || errno == EWOULDBLOCK),
                  "a second request after the refused answer: accept gave %d (%s)", again,
                  strerror(errno));
    close(a.fd);
    snprintf(want, sizeof(want),
             "container credentials from %s: 127.0.0.1:%u: answer larger than %d bytes", url,
             (unsigned)ntohs(sa.sin_port), HTTP_RESPONSE_MAX);
    assert_detail(want);
    ck_assert_ptr_null(c.secret_access_key);
}
END_TEST

static Suite *creds_suite(void)
{
    Suite *s = suite_create("creds");
    TCase *ini = tcase_create("aws_ini"), *chain = tcase_create("chain");

    tcase_add_checked_fixture(ini, setup, teardown);
    tcase_add_checked_fixture(chain, setup, teardown);
    tcase_set_timeout(chain, 30);
    tcase_add_test(ini, ini_accepts);
    tcase_add_test(ini, ini_refuses);
    tcase_add_test(ini, ini_bounds);
    tcase_add_test(chain, profiles_in_files);
    tcase_add_test(chain, profiles_refused);
    tcase_add_test(chain, default_paths_under_home);
    tcase_add_test(chain, region_from_profile);
    tcase_add_test(chain, process_credentials);
    tcase_add_test(chain, process_failures);
    tcase_add_test(chain, process_timeout);
    tcase_add_test(chain, process_endless_output);
    tcase_add_test(chain, process_timeout_refused);
    tcase_add_test(chain, process_killed_by_handler);
    tcase_add_test(chain, process_killed_as_it_starts);
    tcase_add_test(chain, process_cancelled);
    tcase_add_test(chain, rfc3339_times);
    tcase_add_test(chain, container_urls_refused);
    tcase_add_test(chain, container_answer_too_large);
    suite_add_tcase(s, ini);
    suite_add_tcase(s, chain);
    return s;
}

int main(void)
{
    return run_suite(creds_suite()) ? 1 : 0;
}
