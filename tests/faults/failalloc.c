/* An LD_PRELOAD allocator that fails on request, so that allocations made
 * inside OpenSSL, libarchive and json-c fail too, not only the library's.
 *
 * A program that finds failalloc_arm() (dlsym(RTLD_DEFAULT, ...)) arms it
 * with n: from then on allocation calls are counted, and the n-th returns
 * NULL with errno ENOMEM (0: count only). failalloc_disarm() stops counting
 * and returns how many calls were counted; failalloc_hit() says whether
 * the n-th came. Every call to malloc, calloc, realloc, reallocarray,
 * posix_memalign, aligned_alloc, memalign, valloc and pvalloc counts; strdup
 * and friends reach malloc through glibc's PLT and count there. realloc to
 * size 0 (a free) does not count.
 *
 * With FAILALLOC_TRACE set, the failing call writes its stack to stderr,
 * so that a crash inside a dependency can be told from one of ours.
 *
 * The real allocator is reached through glibc's __libc_* entry points, so
 * no dlsym() is needed (dlsym allocates); valgrind redirects those too. */
#define _GNU_SOURCE
#include <errno.h>
#include <execinfo.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static long fail_at;       /* 0: never */
static long calls;
static int armed, hit, trace;

void failalloc_arm(long n);
long failalloc_disarm(void);
int failalloc_hit(void);

void failalloc_arm(long n)
{
    void *frames[1];

    /* The first backtrace() loads libgcc: do it before counting. */
    trace = getenv("FAILALLOC_TRACE") != NULL;
    if (trace)
        backtrace(frames, 1);
    __atomic_store_n(&calls, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&hit, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&fail_at, n, __ATOMIC_SEQ_CST);
    __atomic_store_n(&armed, 1, __ATOMIC_SEQ_CST);
}

long failalloc_disarm(void)
{
    __atomic_store_n(&armed, 0, __ATOMIC_SEQ_CST);
    return __atomic_load_n(&calls, __ATOMIC_SEQ_CST);
}

int failalloc_hit(void)
{
    return __atomic_load_n(&hit, __ATOMIC_SEQ_CST);
}

/* 1 if this call is the one to fail. */
static int should_fail(void)
{
    long n;

    if (!__atomic_load_n(&armed, __ATOMIC_SEQ_CST))
        return 0;
    n = __atomic_add_fetch(&calls, 1, __ATOMIC_SEQ_CST);
    if (n != __atomic_load_n(&fail_at, __ATOMIC_SEQ_CST))
        return 0;
    __atomic_store_n(&hit, 1, __ATOMIC_SEQ_CST);
    if (trace) {
        static const char mark[] = "failalloc: this allocation fails:\n";
        void *frames[16];
        int depth = backtrace(frames, 16);

        if (write(2, mark, sizeof(mark) - 1) > 0)
            backtrace_symbols_fd(frames, depth, 2);
    }
    errno = ENOMEM;
    return 1;
}

void *malloc(size_t size)
{
    return should_fail() ? NULL : __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
    return should_fail() ? NULL : __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
    if (p != NULL && size == 0)
        return __libc_realloc(p, size);
    return should_fail() ? NULL : __libc_realloc(p, size);
}

void *reallocarray(void *p, size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(p, n * size);
}

void *memalign(size_t align, size_t size)
{
    return should_fail() ? NULL : __libc_memalign(align, size);
}

void *aligned_alloc(size_t align, size_t size)
{
    return memalign(align, size);
}

int posix_memalign(void **out, size_t align, size_t size)
{
    void *p;

    if (align < sizeof(void *) || (align & (align - 1)) != 0)
        return EINVAL;
    if ((p = memalign(align, size)) == NULL)
        return ENOMEM;
    *out = p;
    return 0;
}

void *valloc(size_t size)
{
    return memalign(4096, size);
}

void *pvalloc(size_t size)
{
    return memalign(4096, (size + 4095) & ~(size_t)4095);
}
