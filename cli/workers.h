/* SPDX-License-Identifier: MIT */
/* The request threads of `mgadvise serve` (cli/workers.c): a fixed pool of threads taking
 * jobs from one first-in, first-out queue, so that work is shared out as it comes and no
 * job waits behind a busy thread while another is idle; the HTTP threads only read and
 * write. */
#ifndef MGA_CLI_WORKERS_H
#define MGA_CLI_WORKERS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct workers workers;

/* Runs one job on a pool thread. */
typedef void (*workers_fn)(void *job, void *ud);

/* n threads (at least 1) running fn(job, ud), at most cap jobs waiting. NULL when out of
 * memory or a thread cannot be started. The threads block every signal. */
workers *workers_new(size_t n, size_t cap, workers_fn fn, void *ud);
/* Queues job; admit(job) runs first, under the queue's lock, so that nothing a thread does
 * with the job can come before it. False (admit not run) when the queue is full or the
 * pool is stopping: the caller then does the job itself. Any thread. */
bool workers_push(workers *w, void *job, void (*admit)(void *job));
/* Takes no more jobs, runs those queued to their end and joins the threads. */
void workers_stop(workers *w);
/* Stops the pool if it runs, and frees it (NULL: nothing). */
void workers_free(workers *w);

#endif
