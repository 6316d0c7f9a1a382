/* The standard retry mode's quota: see retry_quota.h. */
#include "aws/retry_quota.h"

void retry_quota_init(struct retry_quota *q)
{
    atomic_init(&q->available, RETRY_QUOTA_MAX);
}

unsigned retry_quota_acquire(struct retry_quota *q, int timeout)
{
    unsigned cost = timeout ? RETRY_QUOTA_TIMEOUT_COST : RETRY_QUOTA_COST;
    unsigned have = atomic_load(&q->available);

    /* A failed exchange reloads have: another thread took or gave some. */
    do {
        if (have < cost)
            return 0;
    } while (!atomic_compare_exchange_weak(&q->available, &have, have - cost));
    return cost;
}

void retry_quota_release(struct retry_quota *q, unsigned last)
{
    unsigned amount = last ? last : RETRY_QUOTA_REFILL;
    unsigned have = atomic_load(&q->available), want;

    do {
        want = have + amount > RETRY_QUOTA_MAX ? RETRY_QUOTA_MAX : have + amount;
        if (want == have)
            return;
    } while (!atomic_compare_exchange_weak(&q->available, &have, want));
}

unsigned retry_quota_available(struct retry_quota *q)
{
    return atomic_load(&q->available);
}
