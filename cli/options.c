/* Options that cannot both hold. An option that takes one value may be
 * given once, and two options that exclude each other may not both be
 * given: "last one wins" would silently drop what the user said first, and
 * the user meant one of them. Flags given twice say the same thing twice. */
#include <getopt.h>
#include <string.h>

#include "cli.h"

void options_init(struct options *o, const char *cmd, const struct option *longopts,
                  const char *single, const char *exclusive)
{
    memset(o, 0, sizeof(*o));
    o->cmd = cmd;
    o->longopts = longopts;
    o->single = single;
    o->exclusive = exclusive;
}

/* How the user spells option c: its long name if it has one. */
static const char *spelled(const struct options *o, int c, char buf[64])
{
    for (const struct option *l = o->longopts; l->name; l++)
        if (l->val == c) {
            snprintf(buf, 64, "--%s", l->name);
            return buf;
        }
    snprintf(buf, 64, "-%c", c);
    return buf;
}

/* The option excluded by c that was given already, or 0. exclusive is a
 * list of pairs, "se PD": the pair's first option is named first. */
static int excluded(const struct options *o, int c, int *first)
{
    for (const char *p = o->exclusive; p[0] && p[1]; p += p[2] ? 3 : 2) {
        if (p[0] == c && o->given[(unsigned char)p[1]])
            return *first = c, p[1];
        if (p[1] == c && o->given[(unsigned char)p[0]])
            return *first = p[0], c;
    }
    return 0;
}

int options_seen(struct options *o, int c, const char *value)
{
    char a[64], b[64];
    int first, second;

    if (c <= 0 || c >= OPTIONS_MAX)
        return EXIT_OK; /* getopt's '?' and ':' are reported elsewhere */
    if (strchr(o->single, c) && o->given[c])
        return usage_error(o->cmd, "%s given twice ('%s', then '%s'): give it once",
                           spelled(o, c, a), o->given[c], value ? value : "");
    if ((second = excluded(o, c, &first)) != 0)
        return usage_error(o->cmd, "%s and %s exclude each other", spelled(o, first, a),
                           spelled(o, second, b));
    o->given[c] = value ? value : "";
    return EXIT_OK;
}
