/* The C.UTF-8 locale that libarchive's header calls run under (bundle.h).
 * Made once per process and never freed: newlocale() per call cost a locale
 * load each time, and freeing while another thread switches locales races
 * inside glibc. */
#include <pthread.h>

#include "format/bundle.h"

static locale_t utf8_locale;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;

static void make_utf8_locale(void)
{
    utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

locale_t bundle_utf8_enter(void)
{
    pthread_once(&utf8_once, make_utf8_locale);
    return utf8_locale == (locale_t)0 ? (locale_t)0 : uselocale(utf8_locale);
}

void bundle_utf8_leave(locale_t previous)
{
    if (previous != (locale_t)0)
        uselocale(previous);
}
