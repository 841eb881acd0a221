/* Older symbol versions for the Python extensions on x86-64 glibc, so that
 * the wheel runs on glibc releases older than the one it is built with (the
 * manylinux tag; see meson.build beside this file). Included before
 * anything else in every C and C++ file of the extensions (-include).
 *
 * glibc 2.34 moved the sem_*, pthread_*, mq_* and dl* functions from
 * libpthread, librt and libdl into libc under new versions (GLIBC_2.34),
 * and glibc 2.33 made fstat/lstat real functions; a build against a newer
 * glibc references those versions, which older ones lack. Each function
 * here is referenced at the version it has had since long before the
 * oldest glibc this wheel claims; libc keeps those versions as aliases of
 * the same code, so nothing changes on a new glibc. The libraries that held
 * them before 2.34 (libpthread.so.0, librt.so.1, libdl.so.2) are linked
 * too, for an older glibc. fstat/lstat (and their 64 names) and
 * sem_clockwait (glibc 2.30) go through glibc_compat.cpp: the old entry
 * points of the first take an extra argument, and the second is looked up
 * at run time, with a fallback for a glibc that lacks it.
 * tests/steps/25-wheel.sh checks the result with auditwheel.
 */
#ifndef NOB_GLIBC_COMPAT_SYMBOLS_H
#define NOB_GLIBC_COMPAT_SYMBOLS_H
/* No #include: the feature macros of the file that follows must still count.
 * __gnu_linux__ is the compiler's own word for Linux with glibc. */
#if defined(__gnu_linux__) && defined(__x86_64__) && defined(__LP64__)
#define NOB_COMPAT_SYMVER(name, version) __asm__(".symver " #name "," #name "@" #version)
/* librt (GLIBC_2.3.4) */
NOB_COMPAT_SYMVER(mq_close, GLIBC_2.3.4);
NOB_COMPAT_SYMVER(mq_getattr, GLIBC_2.3.4);
NOB_COMPAT_SYMVER(mq_notify, GLIBC_2.3.4);
NOB_COMPAT_SYMVER(mq_open, GLIBC_2.3.4);
NOB_COMPAT_SYMVER(mq_receive, GLIBC_2.3.4);
NOB_COMPAT_SYMVER(mq_send, GLIBC_2.3.4);
NOB_COMPAT_SYMVER(mq_setattr, GLIBC_2.3.4);
NOB_COMPAT_SYMVER(mq_timedreceive, GLIBC_2.3.4);
NOB_COMPAT_SYMVER(mq_timedsend, GLIBC_2.3.4);
NOB_COMPAT_SYMVER(mq_unlink, GLIBC_2.3.4);
/* libpthread (GLIBC_2.2.5, the first x86-64 version) */
NOB_COMPAT_SYMVER(sem_close, GLIBC_2.2.5);
NOB_COMPAT_SYMVER(sem_destroy, GLIBC_2.2.5);
NOB_COMPAT_SYMVER(sem_getvalue, GLIBC_2.2.5);
NOB_COMPAT_SYMVER(sem_init, GLIBC_2.2.5);
NOB_COMPAT_SYMVER(sem_open, GLIBC_2.2.5);
NOB_COMPAT_SYMVER(sem_post, GLIBC_2.2.5);
NOB_COMPAT_SYMVER(sem_timedwait, GLIBC_2.2.5);
NOB_COMPAT_SYMVER(sem_trywait, GLIBC_2.2.5);
NOB_COMPAT_SYMVER(sem_unlink, GLIBC_2.2.5);
NOB_COMPAT_SYMVER(sem_wait, GLIBC_2.2.5);
NOB_COMPAT_SYMVER(pthread_mutex_trylock, GLIBC_2.2.5);
NOB_COMPAT_SYMVER(pthread_sigmask, GLIBC_2.2.5); /* in libc since 2.32 */
/* libdl (GLIBC_2.2.5) */
NOB_COMPAT_SYMVER(dlclose, GLIBC_2.2.5);
NOB_COMPAT_SYMVER(dlopen, GLIBC_2.2.5);
NOB_COMPAT_SYMVER(dlsym, GLIBC_2.2.5);
NOB_COMPAT_SYMVER(dlvsym, GLIBC_2.2.5);
/* fcntl64 (2.28) is fcntl on x86-64: the same code under two names. */
__asm__(".symver fcntl64,fcntl@GLIBC_2.2.5");
#undef NOB_COMPAT_SYMVER
#endif
#endif
