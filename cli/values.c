/* Option values: sizes, durations and times, parsed strictly. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int parse_size(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;
    int shift = 0;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || end == s || *s < '0' || *s > '9')
        return -1;
    switch (*end) {
    case '\0': break;
    case 'K': case 'k': shift = 10; end++; break;
    case 'M': case 'm': shift = 20; end++; break;
    case 'G': case 'g': shift = 30; end++; break;
    case 'T': case 't': shift = 40; end++; break;
    default: return -1;
    }
    if (*end != '\0' || v == 0 || (shift && v > (UINT64_MAX >> shift)))
        return -1;
    *out = (uint64_t)v << shift;
    return 0;
}

int parse_duration(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v, mult = 1;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || end == s || *s < '0' || *s > '9')
        return -1;
    switch (*end) {
    case '\0': case 's': break;
    case 'm': mult = 60; break;
    case 'h': mult = 3600; break;
    case 'd': mult = 86400; break;
    default: return -1;
    }
    if ((*end && end[1] != '\0') || v == 0 || v > UINT64_MAX / mult)
        return -1;
    *out = v * mult;
    return 0;
}

int parse_time(const char *s, time_t *out)
{
    struct tm tm = {0};
    char again[32], *end;
    long long v;
    int n = 0;

    if (s[0] == '@') {
        errno = 0;
        v = strtoll(s + 1, &end, 10);
        if (errno || end == s + 1 || *end || v <= 0 || s[1] < '0' || s[1] > '9')
            return -1;
        *out = (time_t)v;
        return 0;
    }
    if (strlen(s) != 20 || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year, &tm.tm_mon,
                                  &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 ||
        n != 20)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *out = timegm(&tm);
    /* timegm normalises 2024-02-30 to March: insist on a real date. */
    format_time(*out, again);
    return *out > 0 && strcmp(again, s) == 0 ? 0 : -1;
}

void format_time(time_t t, char out[32])
{
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, 32, "@%lld", (long long)t);
}
