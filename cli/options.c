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

/* The pair of exclusive (a list of pairs, "se PD") that holds c and an
 * option given already, or NULL. */
static const char *excluded(const struct options *o, int c)
{
    for (const char *p = o->exclusive; p[0] && p[1]; p += p[2] ? 3 : 2) {
        if (p[0] == c && o->given[(unsigned char)p[1]])
            return p;
        if (p[1] == c && o->given[(unsigned char)p[0]])
            return p;
    }
    return NULL;
}

int options_seen(struct options *o, int c, const char *value)
{
    char a[64], b[64];
    const char *pair;

    /* getopt's '?' and ':' are in neither list: the command reports them. */
    if (c <= 0 || c >= OPTIONS_MAX)
        return EXIT_OK;
    if (strchr(o->single, c) && o->given[c])
        return usage_error(o->cmd, "%s given twice ('%s', then '%s'): give it once",
                           spelled(o, c, a), o->given[c], value ? value : "");
    /* Named in the pair's order, whichever came first. */
    if ((pair = excluded(o, c)) != NULL)
        return usage_error(o->cmd, "%s and %s exclude each other", spelled(o, pair[0], a),
                           spelled(o, pair[1], b));
    o->given[c] = value ? value : "";
    return EXIT_OK;
}
