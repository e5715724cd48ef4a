/* SPDX-License-Identifier: MIT */
/* A pool of threads on one queue (workers.h): a ring of cap job pointers behind one mutex
 * and one condition variable on which idle threads wait; workers_stop wakes them all, and
 * each leaves once the queue is empty. */
#include "workers.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

struct workers {
    pthread_mutex_t mu;
    pthread_cond_t work; /* a job was queued, or the pool is stopping */
    void **ring;
    size_t cap, head, len; /* the queue: len jobs from ring[head] */
    bool stopping;
    workers_fn fn;
    void *ud;
    pthread_t *threads;
    size_t nthreads; /* started */
    bool joined;
};

static void *run(void *arg)
{
    workers *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (w->len == 0 && !w->stopping)
            pthread_cond_wait(&w->work, &w->mu);
        if (w->len == 0)
            break; /* stopping, and nothing is left */
        void *job = w->ring[w->head];
        w->head = (w->head + 1) % w->cap;
        w->len--;
        pthread_mutex_unlock(&w->mu);
        w->fn(job, w->ud);
        pthread_mutex_lock(&w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

workers *workers_new(size_t n, size_t cap, workers_fn fn, void *ud)
{
    workers *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    n = n ? n : 1;
    w->cap = cap ? cap : 1;
    w->fn = fn;
    w->ud = ud;
    w->ring = malloc(w->cap * sizeof *w->ring);
    w->threads = malloc(n * sizeof *w->threads);
    if (!w->ring || !w->threads || pthread_mutex_init(&w->mu, NULL) != 0) {
        free(w->ring);
        free(w->threads);
        free(w);
        return NULL;
    }
    if (pthread_cond_init(&w->work, NULL) != 0) {
        pthread_mutex_destroy(&w->mu);
        free(w->ring);
        free(w->threads);
        free(w);
        return NULL;
    }
    /* signals go to the thread that waits for them, never to a pool thread */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    while (w->nthreads < n && pthread_create(&w->threads[w->nthreads], NULL, run, w) == 0)
        w->nthreads++;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (w->nthreads < n) {
        workers_free(w);
        return NULL;
    }
    return w;
}

bool workers_push(workers *w, void *job, void (*admit)(void *job))
{
    pthread_mutex_lock(&w->mu);
    bool ok = !w->stopping && w->len < w->cap;
    if (ok) {
        if (admit)
            admit(job);
        w->ring[(w->head + w->len) % w->cap] = job;
        w->len++;
        pthread_cond_signal(&w->work);
    }
    pthread_mutex_unlock(&w->mu);
    return ok;
}

void workers_stop(workers *w)
{
    if (!w || w->joined)
        return;
    pthread_mutex_lock(&w->mu);
    w->stopping = true;
    pthread_cond_broadcast(&w->work);
    pthread_mutex_unlock(&w->mu);
    for (size_t i = 0; i < w->nthreads; i++)
        pthread_join(w->threads[i], NULL);
    w->joined = true;
}

void workers_free(workers *w)
{
    if (!w)
        return;
    workers_stop(w);
    pthread_cond_destroy(&w->work);
    pthread_mutex_destroy(&w->mu);
    free(w->ring);
    free(w->threads);
    free(w);
}
