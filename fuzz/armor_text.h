/* Shared by the seal targets: what an armored envelope must look like. */
#ifndef FUZZ_ARMOR_TEXT_H
#define FUZZ_ARMOR_TEXT_H

#include "common.h"
#include "format/armor.h"

/* An armored envelope: the begin line, full lines of base64 (the last one
 * shorter or as long), the end line, each ended by LF; nothing else. */
static inline void check_armor_text(const uint8_t *env, size_t env_len)
{
    static const char b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
    size_t begin = strlen(ARMOR_BEGIN), end = strlen(ARMOR_END), at, last = ARMOR_COLUMNS;

    CHECK(env_len > begin + end + 2);
    CHECK(memcmp(env, ARMOR_BEGIN "\n", begin + 1) == 0);
    CHECK(memcmp(env + env_len - end - 1, ARMOR_END "\n", end + 1) == 0);
    for (at = begin + 1; at < env_len - end - 1;) {
        const uint8_t *lf = memchr(env + at, '\n', env_len - end - 1 - at);
        size_t n;

        CHECK(lf != NULL);
        n = (size_t)(lf - (env + at));
        /* Only the last line may be short. */
        CHECK(last == ARMOR_COLUMNS && n > 0 && n <= ARMOR_COLUMNS);
        for (size_t i = 0; i < n; i++)
            CHECK(env[at + i] != '\0' && strchr(b64, env[at + i]) != NULL);
        last = n;
        at += n + 1;
    }
}

#endif
