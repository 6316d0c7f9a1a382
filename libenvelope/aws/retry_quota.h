/* The retry quota of the AWS SDKs' standard retry mode, as botocore has it
 * (retries/standard.py and quota.py): a bucket of RETRY_QUOTA_MAX per
 * context. A retry takes RETRY_QUOTA_COST from it, RETRY_QUOTA_TIMEOUT_COST
 * when the failure was a timeout, and is not made when the bucket lacks
 * that much; a call that succeeds puts back what its last retry took, or
 * RETRY_QUOTA_REFILL when it needed no retry, never above the maximum. A
 * service that keeps failing soon gets one attempt per call instead of
 * max_attempts, and a run of successes earns the retries back.
 *
 * Lock-free (C11 atomics): threads may share a bucket. */
#ifndef ENVELOPE_RETRY_QUOTA_H
#define ENVELOPE_RETRY_QUOTA_H

#include <stdatomic.h>

#define RETRY_QUOTA_MAX 500
#define RETRY_QUOTA_COST 5
#define RETRY_QUOTA_TIMEOUT_COST 10
#define RETRY_QUOTA_REFILL 1

struct retry_quota {
    atomic_uint available;
};

/* A full bucket. */
void retry_quota_init(struct retry_quota *q);
/* Takes the cost of one retry (timeout: the failed attempt timed out):
 * returns what it took, or 0, taking nothing, when the bucket lacks it and
 * the retry must not be made. */
unsigned retry_quota_acquire(struct retry_quota *q, int timeout);
/* After a call that succeeded: last is what its last retry took (0 when
 * it made none). */
void retry_quota_release(struct retry_quota *q, unsigned last);
unsigned retry_quota_available(struct retry_quota *q);

#endif
