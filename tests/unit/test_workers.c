/* SPDX-License-Identifier: MIT */
/* Unit tests for cli/workers.c, the request threads of `mgadvise serve`: every job runs
 * once, in the order queued on one thread, after its admit; a full queue and a stopping
 * pool refuse a job; stopping runs what is queued. Also run under ThreadSanitizer
 * (make test-tsan). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

#include "workers.h"

#define NJOBS 2000

typedef struct job {
    atomic_int runs;
    atomic_bool admitted;
    atomic_bool admitted_first; /* admit had run when the job ran */
} job;

typedef struct log {
    pthread_mutex_t mu;
    size_t order[NJOBS]; /* the jobs in the order they ran */
    size_t n;
    job *base;
} log_t;

static void admit(void *j)
{
    atomic_store(&((job *)j)->admitted, true);
}

static void run(void *j, void *ud)
{
    job *x = j;
    log_t *l = ud;
    atomic_store(&x->admitted_first, atomic_load(&x->admitted));
    atomic_fetch_add(&x->runs, 1);
    pthread_mutex_lock(&l->mu);
    l->order[l->n++] = (size_t)(x - l->base);
    pthread_mutex_unlock(&l->mu);
}

static void push_all(size_t nthreads, bool fifo)
{
    static job jobs[NJOBS];
    static log_t l;
    memset(jobs, 0, sizeof jobs);
    memset(&l, 0, sizeof l);
    pthread_mutex_init(&l.mu, NULL);
    l.base = jobs;
    workers *w = workers_new(nthreads, NJOBS, run, &l);
    assert_non_null(w);
    for (size_t i = 0; i < NJOBS; i++)
        assert_true(workers_push(w, &jobs[i], admit));
    workers_stop(w); /* runs what is queued */
    assert_int_equal(l.n, NJOBS);
    for (size_t i = 0; i < NJOBS; i++) {
        assert_int_equal(atomic_load(&jobs[i].runs), 1);
        assert_true(atomic_load(&jobs[i].admitted_first));
        if (fifo)
            assert_int_equal(l.order[i], i);
    }
    assert_false(workers_push(w, &jobs[0], admit)); /* stopped */
    workers_free(w);
    pthread_mutex_destroy(&l.mu);
}

static void test_one_thread_in_order(void **state)
{
    (void)state;
    push_all(1, true);
}

static void test_many_threads_each_once(void **state)
{
    (void)state;
    push_all(8, false);
}

/* A job that waits until the test lets it go: it holds the pool's only thread. */
typedef struct gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool entered, open;
    atomic_int ran;
} gate;

static void hold(void *j, void *ud)
{
    gate *g = ud;
    if (j == (void *)g) {
        pthread_mutex_lock(&g->mu);
        g->entered = true;
        pthread_cond_broadcast(&g->cv);
        while (!g->open)
            pthread_cond_wait(&g->cv, &g->mu);
        pthread_mutex_unlock(&g->mu);
    }
    atomic_fetch_add(&g->ran, 1);
}

static void test_full_queue_refuses(void **state)
{
    (void)state;
    gate g = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    int other[3];
    workers *w = workers_new(1, 2, hold, &g);
    assert_non_null(w);
    assert_true(workers_push(w, &g, NULL));
    pthread_mutex_lock(&g.mu);
    while (!g.entered) /* the thread holds the gate: the queue is empty again */
        pthread_cond_wait(&g.cv, &g.mu);
    pthread_mutex_unlock(&g.mu);
    assert_true(workers_push(w, &other[0], NULL));
    assert_true(workers_push(w, &other[1], NULL));
    assert_false(workers_push(w, &other[2], admit)); /* two waiting: full */
    pthread_mutex_lock(&g.mu);
    g.open = true;
    pthread_cond_broadcast(&g.cv);
    pthread_mutex_unlock(&g.mu);
    workers_free(w); /* stops: the two queued run first */
    assert_int_equal(atomic_load(&g.ran), 3);
}

static void test_free_null_and_stopped(void **state)
{
    (void)state;
    workers_free(NULL);
    workers_stop(NULL);
    gate g = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER, .open = true};
    workers *w = workers_new(0, 0, hold, &g); /* at least one thread, one slot */
    assert_non_null(w);
    int x;
    assert_true(workers_push(w, &x, NULL));
    workers_stop(w);
    workers_stop(w); /* twice: nothing more */
    assert_int_equal(atomic_load(&g.ran), 1);
    workers_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_thread_in_order),
        cmocka_unit_test(test_many_threads_each_once),
        cmocka_unit_test(test_full_queue_refuses),
        cmocka_unit_test(test_free_null_and_stopped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
