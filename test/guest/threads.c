// SPDX-License-Identifier: GPL-2.0
/*
 * POSIX threads on wasmlinux, with musl: each test is a subcommand, run by
 * test/e2e/threads.test.ts from a shell in the guest, and prints one line
 * `NAME: key value key value ...` that the test checks. Numbers are
 * computed here and checked there; times come from the guest's own clock.
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_futex
#define SYS_futex SYS_futex_time64
#endif

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static long futex(volatile int *uaddr, int op, int val, const struct timespec *ts,
		  volatile int *uaddr2, int val3)
{
	return syscall(SYS_futex, uaddr, op, val, ts, uaddr2, val3);
}

/* --- N threads summing disjoint ranges ----------------------------- */

#define SUM_THREADS 8
#define SUM_PER 1000000L

static void *sum_range(void *arg)
{
	long i = (long)(intptr_t)arg, s = 0;
	long long *out = malloc(sizeof *out);

	for (long n = i * SUM_PER; n < (i + 1) * SUM_PER; n++)
		s += n % 1000;
	*out = s;
	return out;
}

static int t_sum(void)
{
	pthread_t t[SUM_THREADS];
	long long total = 0, expect = 0;

	for (long i = 0; i < SUM_THREADS; i++)
		if (pthread_create(&t[i], NULL, sum_range, (void *)(intptr_t)i))
			return 1;
	for (int i = 0; i < SUM_THREADS; i++) {
		void *r;
		pthread_join(t[i], &r);
		total += *(long long *)r;
		free(r);
	}
	for (long n = 0; n < SUM_THREADS * SUM_PER; n++)
		expect += n % 1000;
	printf("sum: threads %d total %lld expect %lld\n", SUM_THREADS, total, expect);
	return 0;
}

/* --- mutexes ------------------------------------------------------- */

static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *count_up(void *arg)
{
	for (int i = 0; i < 1000000; i++) {
		pthread_mutex_lock(&counter_lock);
		counter++;
		pthread_mutex_unlock(&counter_lock);
	}
	return NULL;
}

static pthread_mutex_t other;

static void *try_other(void *arg)
{
	return (void *)(intptr_t)pthread_mutex_trylock(&other);
}

static void *unlock_other(void *arg)
{
	return (void *)(intptr_t)pthread_mutex_unlock(&other);
}

static void *run_in_thread(void *(*fn)(void *))
{
	pthread_t t;
	void *r;

	pthread_create(&t, NULL, fn, NULL);
	pthread_join(t, &r);
	return r;
}

static pthread_mutex_t robust;

static void *die_holding(void *arg)
{
	pthread_mutex_lock(&robust);
	/* Past pthread_exit: the kernel walks the robust list. */
	if (arg)
		syscall(SYS_exit, 0);
	return NULL;
}

static int robust_case(int raw_exit)
{
	pthread_mutexattr_t a;
	pthread_t t;
	int first, again;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	/*
	 * musl hands only process-shared robust mutexes to the kernel's list
	 * (set_robust_list); a private one is released by pthread_exit.
	 */
	if (raw_exit)
		pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&robust, &a);
	pthread_create(&t, NULL, die_holding, (void *)(intptr_t)raw_exit);
	if (raw_exit)
		sleep_ms(200); /* the raw exit cannot be joined */
	else
		pthread_join(t, NULL);
	first = pthread_mutex_lock(&robust);
	pthread_mutex_consistent(&robust);
	pthread_mutex_unlock(&robust);
	again = pthread_mutex_lock(&robust);
	pthread_mutex_unlock(&robust);
	pthread_mutex_destroy(&robust);
	return first == EOWNERDEAD && again == 0;
}

static int t_mutex(void)
{
	pthread_t t[4];
	pthread_mutexattr_t a;
	int rec, err_relock, err_perm, try_busy;

	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, count_up, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);

	/* Recursive: twice by the owner, busy for another thread. */
	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&other, &a);
	rec = pthread_mutex_lock(&other) == 0 && pthread_mutex_lock(&other) == 0;
	try_busy = (intptr_t)run_in_thread(try_other) == EBUSY;
	rec = rec && pthread_mutex_unlock(&other) == 0 && pthread_mutex_unlock(&other) == 0;
	rec = rec && (intptr_t)run_in_thread(try_other) == 0;
	pthread_mutex_destroy(&other);

	/* Error checking: relocking is EDEADLK, unlocking another's EPERM. */
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&other, &a);
	pthread_mutex_lock(&other);
	err_relock = pthread_mutex_lock(&other) == EDEADLK;
	err_perm = (intptr_t)run_in_thread(unlock_other) == EPERM;
	pthread_mutex_unlock(&other);
	pthread_mutex_destroy(&other);

	printf("mutex: count %ld recursive %d trybusy %d deadlk %d eperm %d robust %d robust-raw %d\n",
	       counter, rec, try_busy, err_relock, err_perm, robust_case(0), robust_case(1));
	return 0;
}

/* --- condition variable: producer and consumers -------------------- */

#define QLEN 4
#define ITEMS 20000

static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
static int queue[QLEN], qhead, qcount, qdone;

static void *consume(void *arg)
{
	long long sum = 0;
	long n = 0;

	for (;;) {
		pthread_mutex_lock(&qlock);
		while (!qcount && !qdone)
			pthread_cond_wait(&not_empty, &qlock);
		if (!qcount && qdone) {
			pthread_mutex_unlock(&qlock);
			break;
		}
		sum += queue[qhead];
		qhead = (qhead + 1) % QLEN;
		qcount--;
		n++;
		pthread_cond_signal(&not_full);
		pthread_mutex_unlock(&qlock);
	}
	((long long *)arg)[0] = sum;
	((long long *)arg)[1] = n;
	return NULL;
}

static int t_condvar(void)
{
	pthread_t c[3];
	long long got[3][2], sum = 0, n = 0;

	for (int i = 0; i < 3; i++)
		pthread_create(&c[i], NULL, consume, got[i]);
	for (int v = 1; v <= ITEMS; v++) {
		pthread_mutex_lock(&qlock);
		while (qcount == QLEN)
			pthread_cond_wait(&not_full, &qlock);
		queue[(qhead + qcount) % QLEN] = v;
		qcount++;
		pthread_cond_signal(&not_empty);
		pthread_mutex_unlock(&qlock);
	}
	pthread_mutex_lock(&qlock);
	qdone = 1;
	pthread_cond_broadcast(&not_empty);
	pthread_mutex_unlock(&qlock);
	for (int i = 0; i < 3; i++) {
		pthread_join(c[i], NULL);
		sum += got[i][0];
		n += got[i][1];
	}
	printf("condvar: items %lld sum %lld\n", n, sum);
	return 0;
}

/* --- barrier rounds ------------------------------------------------ */

#define BTHREADS 4
#define ROUNDS 200

static pthread_barrier_t barrier;
static atomic_int arrived[ROUNDS];
static atomic_int barrier_errors, serial;

static void *barrier_rounds(void *arg)
{
	for (int r = 0; r < ROUNDS; r++) {
		atomic_fetch_add(&arrived[r], 1);
		if (pthread_barrier_wait(&barrier) == PTHREAD_BARRIER_SERIAL_THREAD)
			atomic_fetch_add(&serial, 1);
		/* Past the barrier every thread has arrived in this round. */
		if (atomic_load(&arrived[r]) != BTHREADS)
			atomic_fetch_add(&barrier_errors, 1);
		if (r + 1 < ROUNDS && atomic_load(&arrived[r + 1]) > BTHREADS)
			atomic_fetch_add(&barrier_errors, 1);
	}
	return NULL;
}

static int t_barrier(void)
{
	pthread_t t[BTHREADS];

	pthread_barrier_init(&barrier, NULL, BTHREADS);
	for (int i = 0; i < BTHREADS; i++)
		pthread_create(&t[i], NULL, barrier_rounds, NULL);
	for (int i = 0; i < BTHREADS; i++)
		pthread_join(t[i], NULL);
	printf("barrier: rounds %d serial %d errors %d\n", ROUNDS, atomic_load(&serial),
	       atomic_load(&barrier_errors));
	return 0;
}

/* --- semaphores, spinlocks, rwlocks, once -------------------------- */

static sem_t items, spaces;
static int slots[8];
static long long sem_sum;

static void *sem_consume(void *arg)
{
	for (int i = 0; i < ITEMS; i++) {
		sem_wait(&items);
		sem_sum += slots[i % 8];
		sem_post(&spaces);
	}
	return NULL;
}

static pthread_spinlock_t spinlock;
static long spun;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static long rw_value, rw_bad;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static atomic_int once_runs;

static void once_fn(void)
{
	atomic_fetch_add(&once_runs, 1);
	sleep_ms(20);
}

static void *mixed(void *arg)
{
	pthread_once(&once, once_fn);
	for (int i = 0; i < 100000; i++) {
		pthread_spin_lock(&spinlock);
		spun++;
		pthread_spin_unlock(&spinlock);
	}
	for (int i = 0; i < 2000; i++) {
		if (i % 10 == 0) {
			pthread_rwlock_wrlock(&rw);
			rw_value++;
			rw_value++;
			pthread_rwlock_unlock(&rw);
		} else {
			pthread_rwlock_rdlock(&rw);
			if (rw_value % 2)
				rw_bad++; /* a reader saw half a write */
			pthread_rwlock_unlock(&rw);
		}
	}
	return NULL;
}

static int t_sync(void)
{
	pthread_t c, t[4];
	struct timespec ts;
	int timedout, trywait;
	long long start, waited;

	sem_init(&items, 0, 0);
	sem_init(&spaces, 0, 8);
	pthread_create(&c, NULL, sem_consume, NULL);
	for (int i = 0; i < ITEMS; i++) {
		sem_wait(&spaces);
		slots[i % 8] = i + 1;
		sem_post(&items);
	}
	pthread_join(c, NULL);
	trywait = sem_trywait(&items) == -1 && errno == EAGAIN;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 100000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	start = now_ns();
	timedout = sem_timedwait(&items, &ts) == -1 && errno == ETIMEDOUT;
	waited = (now_ns() - start) / 1000000;

	pthread_spin_init(&spinlock, 0);
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, mixed, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	printf("sem: sum %lld trywait %d timedout %d waited-ms %lld\n", sem_sum, trywait, timedout,
	       waited);
	printf("sync: spin %ld rw %ld rw-bad %ld once %d\n", spun, rw_value, rw_bad,
	       atomic_load(&once_runs));
	return 0;
}

/* --- TLS, keys, join values, detached threads ---------------------- */

static _Thread_local int tls_value = 7;
static _Thread_local char tls_big[3000] = { 1 };
static pthread_key_t key;
static atomic_int dtors;

static void key_dtor(void *p)
{
	atomic_fetch_add(&dtors, 1);
}

static void *tls_thread(void *arg)
{
	int id = (int)(intptr_t)arg, ok = tls_value == 7 && tls_big[0] == 1 && !tls_big[1];

	tls_value = id * 100;
	tls_big[1] = id;
	pthread_setspecific(key, (void *)(intptr_t)(id + 1));
	sleep_ms(30); /* let the others write theirs */
	ok = ok && tls_value == id * 100 && tls_big[1] == id &&
	     pthread_getspecific(key) == (void *)(intptr_t)(id + 1);
	if (id == 3)
		pthread_exit((void *)(intptr_t)(ok ? 3 * 11 : -1));
	return (void *)(intptr_t)(ok ? id * 11 : -1);
}

static atomic_int detached_ran;

static void *detached(void *arg)
{
	atomic_fetch_add(&detached_ran, 1);
	return NULL;
}

static int t_tls(void)
{
	pthread_t t[4];
	pthread_attr_t a;
	int ok = 1, values = 0, distinct;
	size_t before, after;

	tls_value = 1;
	pthread_key_create(&key, key_dtor);
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, tls_thread, (void *)(intptr_t)i);
	for (int i = 0; i < 4; i++) {
		void *r;
		pthread_join(t[i], &r);
		ok = ok && (intptr_t)r == i * 11;
		values += (intptr_t)r;
	}
	distinct = tls_value == 1;
	printf("tls: ok %d sum %d main-kept %d dtors %d\n", ok, values, distinct,
	       atomic_load(&dtors));

	/* Detached threads: their stacks are reused, not leaked. */
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	before = __builtin_wasm_memory_size(0);
	for (int i = 0; i < 300; i++) {
		pthread_t d;
		while (pthread_create(&d, &a, detached, NULL) == EAGAIN)
			sleep_ms(1);
		if (i % 20 == 19)
			while (atomic_load(&detached_ran) <= i)
				sleep_ms(1);
	}
	while (atomic_load(&detached_ran) < 300)
		sleep_ms(1);
	after = __builtin_wasm_memory_size(0);
	printf("detach: ran %d grew-kib %zu\n", atomic_load(&detached_ran),
	       (after - before) * 64);
	return 0;
}

/* --- cancellation -------------------------------------------------- */

static int cancel_pipe[2];
static atomic_int cleanups;

static void cleanup(void *arg)
{
	atomic_fetch_add(&cleanups, 1);
}

static void *blocked_reader(void *arg)
{
	char c;

	pthread_cleanup_push(cleanup, NULL);
	read(cancel_pipe[0], &c, 1); /* a cancellation point that blocks */
	pthread_cleanup_pop(0);
	return (void *)1;
}

static atomic_int spinning;

static void *busy_async(void *arg)
{
	volatile unsigned long n = 0;

	pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL);
	pthread_cleanup_push(cleanup, NULL);
	atomic_store(&spinning, 1);
	for (;;)
		n++;
	pthread_cleanup_pop(0);
	return NULL;
}

static void *disabled_then_test(void *arg)
{
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	atomic_store(&spinning, 2);
	sleep_ms(100); /* not cancelled here: disabled */
	pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
	pthread_testcancel();
	return (void *)2;
}

static int t_cancel(void)
{
	pthread_t t;
	void *r1, *r2, *r3;

	pipe(cancel_pipe);
	pthread_create(&t, NULL, blocked_reader, NULL);
	sleep_ms(100);
	pthread_cancel(t);
	pthread_join(t, &r1);

	pthread_create(&t, NULL, busy_async, NULL);
	while (atomic_load(&spinning) != 1)
		sleep_ms(1);
	pthread_cancel(t);
	pthread_join(t, &r2);

	pthread_create(&t, NULL, disabled_then_test, NULL);
	while (atomic_load(&spinning) != 2)
		sleep_ms(1);
	pthread_cancel(t);
	pthread_join(t, &r3);
	printf("cancel: blocked %d async %d deferred %d cleanups %d\n", r1 == PTHREAD_CANCELED,
	       r2 == PTHREAD_CANCELED, r3 == PTHREAD_CANCELED, atomic_load(&cleanups));
	return 0;
}

/* --- futexes ------------------------------------------------------- */

static volatile int fword, fword2;
static atomic_int fwoken;

static void *futex_waiter(void *arg)
{
	volatile int *w = arg;

	while (*w == 0)
		if (futex(w, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0) == 0)
			break;
	atomic_fetch_add(&fwoken, 1);
	return NULL;
}

static void *futex_requeue_waiter(void *arg)
{
	futex(&fword, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	atomic_fetch_add(&fwoken, 1);
	return NULL;
}

static int t_futex(void)
{
	struct timespec rel = { 0, 300000000 }, abs;
	long long start, waited, waited_abs;
	int timedout, timedout_abs, again, wakeop, requeued, woken_after;
	pthread_t t[3];

	start = now_ns();
	timedout = futex(&fword, FUTEX_WAIT_PRIVATE, 0, &rel, NULL, 0) == -1 && errno == ETIMEDOUT;
	waited = (now_ns() - start) / 1000000;
	again = futex(&fword, FUTEX_WAIT_PRIVATE, 1, &rel, NULL, 0) == -1 && errno == EAGAIN;

	clock_gettime(CLOCK_MONOTONIC, &abs);
	abs.tv_nsec += 200000000;
	if (abs.tv_nsec >= 1000000000) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000;
	}
	start = now_ns();
	timedout_abs = futex(&fword, FUTEX_WAIT_BITSET_PRIVATE, 0, &abs, NULL,
			     FUTEX_BITSET_MATCH_ANY) == -1 && errno == ETIMEDOUT;
	waited_abs = (now_ns() - start) / 1000000;

	/* WAKE_OP: set fword2 to 5 (and wake its waiter) if fword was 0. */
	pthread_create(&t[0], NULL, futex_waiter, (void *)&fword2);
	sleep_ms(50);
	futex(&fword, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1, &fword2,
	      FUTEX_OP(FUTEX_OP_SET, 5, FUTEX_OP_CMP_EQ, 0));
	pthread_join(t[0], NULL);
	wakeop = fword2 == 5 && atomic_load(&fwoken) == 1;

	/* CMP_REQUEUE: wake one of three waiters on fword, move two to fword2. */
	atomic_store(&fwoken, 0);
	for (int i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, futex_requeue_waiter, NULL);
	sleep_ms(100);
	requeued = futex(&fword, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)2, &fword2, 0);
	sleep_ms(50);
	woken_after = atomic_load(&fwoken);
	futex(&fword2, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	printf("futex: timedout %d waited-ms %lld eagain %d bitset %d bitset-ms %lld wakeop %d "
	       "requeue %d woken-first %d woken %d\n",
	       timedout, waited, again, timedout_abs, waited_abs, wakeop, requeued, woken_after,
	       atomic_load(&fwoken));
	return 0;
}

/* --- signals and threads ------------------------------------------- */

static pthread_t main_thread;
static atomic_int handled_by_thread, handled_by_main;

static void who(int sig)
{
	if (pthread_equal(pthread_self(), main_thread))
		atomic_fetch_add(&handled_by_main, 1);
	else
		atomic_fetch_add(&handled_by_thread, 1);
}

static void *sigwaiter(void *arg)
{
	sigset_t set;
	int sig = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigwait(&set, &sig);
	return (void *)(intptr_t)sig;
}

static atomic_int stop_sleeper;

static void *sleeper(void *arg)
{
	while (!atomic_load(&stop_sleeper))
		sleep_ms(10);
	return NULL;
}

static int t_signals(void)
{
	sigset_t set, old;
	pthread_t w, s;
	void *got;
	cpu_set_t cpus;
	int aff;

	main_thread = pthread_self();
	/* sigwait in a thread; pthread_kill targets it. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	pthread_create(&w, NULL, sigwaiter, NULL);
	sleep_ms(50);
	pthread_kill(w, SIGUSR1);
	pthread_join(w, &got);
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	/* A signal to the process goes to the thread that does not block it. */
	signal(SIGUSR2, who);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	pthread_create(&s, NULL, sleeper, NULL);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	kill(getpid(), SIGUSR2);
	for (int i = 0; i < 200 && !atomic_load(&handled_by_thread); i++)
		sleep_ms(5);
	atomic_store(&stop_sleeper, 1);
	pthread_join(s, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	aff = pthread_setaffinity_np(pthread_self(), sizeof cpus, &cpus);
	CPU_ZERO(&cpus);
	aff = aff || pthread_getaffinity_np(pthread_self(), sizeof cpus, &cpus) ||
	      !CPU_ISSET(0, &cpus);
	printf("tsignals: sigwait %d by-thread %d by-main %d affinity %d\n", (int)(intptr_t)got,
	       atomic_load(&handled_by_thread), atomic_load(&handled_by_main), !aff);
	return 0;
}

/*
 * The stress test: threads raise signals at themselves, main and a helper
 * send signals to threads blocked in waits, with real-time signals queued,
 * while other threads are created, joined and exit; for `secs` seconds.
 * Standard signals may merge while pending, so only signals that cannot
 * merge are counted exactly: raise() runs the handler before it returns,
 * and each queued real-time signal runs it once.
 */

static atomic_long h_rt, h_rt1, h_usr1, h_usr2;
static atomic_int stress_stop, blocked_tid;

static void on_rt(int sig)
{
	atomic_fetch_add(&h_rt, 1);
}

static void on_rt1(int sig)
{
	atomic_fetch_add(&h_rt1, 1);
}

static void on_usr1(int sig)
{
	atomic_fetch_add(&h_usr1, 1);
}

static void on_usr2(int sig)
{
	atomic_fetch_add(&h_usr2, 1);
}

/*
 * raise() of a real-time signal fails with EAGAIN when the user's queue of
 * pending signals is full (RLIMIT_SIGPENDING, shared by all threads), so
 * only the ones that were queued are counted.
 */
struct raised {
	long rt, usr1;
};

static void raise_both(struct raised *n)
{
	if (raise(SIGRTMIN) == 0)
		n->rt++;
	if (raise(SIGUSR1) == 0)
		n->usr1++;
}

static void *raiser(void *arg)
{
	for (int i = 0; i < 1000; i++)
		raise_both(arg);
	while (!atomic_load(&stress_stop))
		raise_both(arg);
	return NULL;
}

static sem_t never;

static void *target(void *arg)
{
	atomic_store(&blocked_tid, (int)syscall(SYS_gettid));
	/* Blocked in a wait the signals interrupt; it restarts (SA_RESTART). */
	while (!atomic_load(&stress_stop))
		sem_wait(&never);
	return NULL;
}

static void *short_lived(void *arg)
{
	return arg;
}

static void *churner(void *arg)
{
	long *made = arg;

	while (!atomic_load(&stress_stop)) {
		pthread_t t;
		void *r;
		if (pthread_create(&t, NULL, short_lived, (void *)(intptr_t)7) == 0) {
			pthread_join(t, &r);
			if ((intptr_t)r == 7)
				made[0]++;
		}
	}
	return NULL;
}

static long sender_sent;

/* Queue real-time signals at the thread blocked in target(), by its tid. */
static void *queuer(void *arg)
{
	while (!atomic_load(&stress_stop)) {
		if (syscall(SYS_tgkill, getpid(), atomic_load(&blocked_tid), SIGRTMIN + 1) == 0)
			sender_sent++;
		sched_yield();
	}
	return NULL;
}

static atomic_int target_tid;

static void *tgkill_target(void *arg)
{
	atomic_store(&target_tid, (int)syscall(SYS_gettid));
	while (!atomic_load(&stress_stop))
		sem_wait(&never);
	return NULL;
}

static int t_stress(int secs)
{
	struct sigaction sa = { .sa_flags = SA_RESTART };
	pthread_t r[2], tg, tk, c[2], snd;
	struct raised first = { 0, 0 }, raised[2] = { { 0, 0 }, { 0, 0 } };
	long made[2] = { 0, 0 };
	long killed_rt = 0, tgkilled = 0;
	long long start = now_ns();

	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_rt;
	sigaction(SIGRTMIN, &sa, NULL);
	sa.sa_handler = on_rt1;
	sigaction(SIGRTMIN + 1, &sa, NULL);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_usr2;
	sigaction(SIGUSR2, &sa, NULL);
	sem_init(&never, 0, 0);

	/* The reported hang: main in pthread_join while a thread raises 1000. */
	atomic_store(&stress_stop, 1);
	pthread_create(&r[0], NULL, raiser, &first);
	pthread_join(r[0], NULL);
	atomic_store(&stress_stop, 0);

	/* And main queueing 1000 real-time signals at a thread blocked in a wait. */
	pthread_create(&tg, NULL, target, NULL);
	for (int i = 0; i < 1000; i++)
		if (pthread_kill(tg, SIGRTMIN) == 0)
			killed_rt++;

	/* Then everything at once, for secs seconds. */
	pthread_create(&tk, NULL, tgkill_target, NULL);
	while (!atomic_load(&target_tid))
		sleep_ms(1);
	pthread_create(&r[0], NULL, raiser, &raised[0]);
	pthread_create(&r[1], NULL, raiser, &raised[1]);
	pthread_create(&c[0], NULL, churner, &made[0]);
	pthread_create(&c[1], NULL, churner, &made[1]);
	pthread_create(&snd, NULL, queuer, NULL);
	while (now_ns() - start < secs * 1000000000LL) {
		if (syscall(SYS_tgkill, getpid(), atomic_load(&target_tid), SIGRTMIN) == 0)
			tgkilled++;
		pthread_kill(tg, SIGUSR2);
		sleep_ms(1);
	}
	atomic_store(&stress_stop, 1);
	for (int i = 0; i < 2; i++) {
		pthread_join(r[i], NULL);
		pthread_join(c[i], NULL);
	}
	pthread_join(snd, NULL);
	/* Wake the blocked targets: they see stress_stop and return. */
	sem_post(&never);
	sem_post(&never);
	pthread_join(tg, NULL);
	pthread_join(tk, NULL);
	/* Every queued real-time signal has run its handler by now. */
	printf("stress: rt %ld expect-rt %ld rt1 %ld expect-rt1 %ld usr1 %ld expect-usr1 %ld "
	       "usr2-some %d churned-some %d\n",
	       atomic_load(&h_rt), first.rt + raised[0].rt + raised[1].rt + killed_rt + tgkilled,
	       atomic_load(&h_rt1), sender_sent, atomic_load(&h_usr1),
	       first.usr1 + raised[0].usr1 + raised[1].usr1,
	       atomic_load(&h_usr2) > 0, made[0] + made[1] > 0);
	return 0;
}

/* --- sigaltstack inside a handler (no threads needed) --------------- */

static int alt_onstack, alt_eperm, alt_disable_eperm;

static void on_alt(int sig)
{
	stack_t now, other = { .ss_sp = malloc(SIGSTKSZ), .ss_size = SIGSTKSZ };
	stack_t off = { .ss_flags = SS_DISABLE };

	sigaltstack(NULL, &now);
	alt_onstack = (now.ss_flags & SS_ONSTACK) != 0;
	alt_eperm = sigaltstack(&other, NULL) == -1 && errno == EPERM;
	alt_disable_eperm = sigaltstack(&off, NULL) == -1 && errno == EPERM;
}

static int t_altstack(void)
{
	stack_t ss = { .ss_sp = malloc(SIGSTKSZ), .ss_size = SIGSTKSZ }, after;
	struct sigaction sa = { .sa_handler = on_alt, .sa_flags = SA_ONSTACK };

	sigaltstack(&ss, NULL);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	sigaltstack(NULL, &after);
	printf("altstack: onstack %d eperm %d disable-eperm %d after-flags %d same %d\n",
	       alt_onstack, alt_eperm, alt_disable_eperm, after.ss_flags, after.ss_sp == ss.ss_sp);
	return 0;
}

/*
 * A SA_NODEFER handler that raises its own signal nests without end: a
 * CPU's program would overflow its stack and get SIGSEGV; here the kernel
 * stops the nesting the same way before its own stack overflows.
 */
static volatile int depth;

static void nest_again(int sig)
{
	char line[32];

	depth++;
	write(1, line, snprintf(line, sizeof line, "nest: depth %d\n", depth));
	raise(SIGUSR1);
}

static int t_nest(void)
{
	struct sigaction sa = { .sa_handler = nest_again, .sa_flags = SA_NODEFER };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	printf("nest: returned\n");
	return 0;
}

/* --- whole-process events: exit, fatal signals, traps, exec --------- */

static void *exit_3(void *arg)
{
	sleep_ms(50);
	exit(3);
}

static void *trap(void *arg)
{
	sleep_ms(50);
	*(volatile int *)(uintptr_t)0xfffffff0u = 1;
	return NULL;
}

static void *term_self(void *arg)
{
	sleep_ms(50);
	kill(getpid(), SIGTERM);
	return NULL;
}

static void *exec_echo(void *arg)
{
	sleep_ms(50);
	execl("/bin/echo", "echo", "exec'd from a thread", (char *)NULL);
	return NULL;
}

static atomic_int looping;

static void *spin(void *arg)
{
	volatile unsigned long n = 0;

	atomic_fetch_add(&looping, 1);
	for (;;)
		n++;
	return NULL;
}

static void *block_forever(void *arg)
{
	for (;;)
		pause();
	return NULL;
}

/* Start threads, then let `what` end the process from one of them. */
static int t_ends(void *(*what)(void *))
{
	pthread_t t[3];

	pthread_create(&t[0], NULL, spin, NULL);
	pthread_create(&t[1], NULL, block_forever, NULL);
	pthread_create(&t[2], NULL, what, NULL);
	pthread_join(t[1], NULL);
	printf("still here\n");
	return 0;
}

/* Four busy threads and main blocked: for kill -9, ps -T and /proc/PID/task. */
static int t_busy4(void)
{
	pthread_t t[4];
	DIR *d;
	struct dirent *e;
	int tasks = 0;

	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, spin, NULL);
	while (atomic_load(&looping) < 4)
		sleep_ms(1);
	d = opendir("/proc/self/task");
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			tasks++;
	if (d)
		closedir(d);
	printf("busy4: looping tasks %d\n", tasks);
	fflush(stdout);
	pthread_join(t[0], NULL);
	return 0;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(what, "sum"))
		return t_sum();
	if (!strcmp(what, "mutex"))
		return t_mutex();
	if (!strcmp(what, "condvar"))
		return t_condvar();
	if (!strcmp(what, "barrier"))
		return t_barrier();
	if (!strcmp(what, "sync"))
		return t_sync();
	if (!strcmp(what, "tls"))
		return t_tls();
	if (!strcmp(what, "cancel"))
		return t_cancel();
	if (!strcmp(what, "futex"))
		return t_futex();
	if (!strcmp(what, "signals"))
		return t_signals();
	if (!strcmp(what, "stress"))
		return t_stress(argc > 2 ? atoi(argv[2]) : 3);
	if (!strcmp(what, "altstack"))
		return t_altstack();
	if (!strcmp(what, "nest"))
		return t_nest();
	if (!strcmp(what, "exit"))
		return t_ends(exit_3);
	if (!strcmp(what, "trap"))
		return t_ends(trap);
	if (!strcmp(what, "term"))
		return t_ends(term_self);
	if (!strcmp(what, "exec"))
		return t_ends(exec_echo);
	if (!strcmp(what, "busy4"))
		return t_busy4();
	fprintf(stderr, "threads: unknown test '%s'\n", what);
	return 2;
}
