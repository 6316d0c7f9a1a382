/* The progress bar: bytes, rate and time left, on stderr, redrawn at most
 * ten times a second, only for operations that last (half a second), only
 * on a terminal, never with --quiet, nor where a --json object goes. */
#include <time.h>
#include <unistd.h>

#include "cli.h"

static long long now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void progress_init(struct progress *p, const char *label)
{
    p->enabled = !cli_quiet && !json_owns(stderr) && isatty(STDERR_FILENO);
    p->label = label;
    p->start_ns = p->last_ns = now_ns();
    p->shown = 0;
}

static void human(double bytes, char out[16])
{
    static const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int i = 0;

    while (bytes >= 1024.0 && i < 4) {
        bytes /= 1024.0;
        i++;
    }
    snprintf(out, 16, i ? "%.1f %s" : "%.0f %s", bytes, unit[i]);
}

int progress_cb(void *arg, uint64_t done, uint64_t total)
{
    struct progress *p = arg;
    long long t = now_ns();
    double secs, rate;
    char got[16], all[16], speed[16];

    if (!p->enabled || t - p->start_ns < 500000000LL || t - p->last_ns < 100000000LL)
        return 0;
    p->last_ns = t;
    p->shown = 1;
    secs = (double)(t - p->start_ns) / 1e9;
    rate = (double)done / secs;
    human((double)done, got);
    human(rate, speed);
    if (total) {
        human((double)total, all);
        fprintf(stderr, "\r\033[K%s %5.1f%%  %s of %s  %s/s  ETA %.0fs", p->label,
                100.0 * (double)done / (double)total, got, all, speed,
                rate > 0 ? (double)(total - done) / rate : 0.0);
    } else {
        fprintf(stderr, "\r\033[K%s %s  %s/s", p->label, got, speed);
    }
    return 0;
}

void progress_files(struct progress *p, size_t done, size_t total, uint64_t bytes,
                    uint64_t total_bytes)
{
    long long t = now_ns();
    char got[16], all[16];

    if (!p->enabled || t - p->start_ns < 500000000LL || t - p->last_ns < 100000000LL)
        return;
    p->last_ns = t;
    p->shown = 1;
    human((double)bytes, got);
    human((double)total_bytes, all);
    fprintf(stderr, "\r\033[K%s %zu of %zu files  %s of %s", p->label, done, total, got, all);
}

void progress_done(struct progress *p)
{
    if (p->shown)
        fputs("\r\033[K", stderr);
    p->shown = 0;
}
