/* sandbox.h: run one untrusted program with limits, and clean up after it.

   Used by the judges (to run a student's worker for each test) and by the
   command-line launcher sandbox.c (which the Python grader uses to run
   ctangle, the compiler and cweave on a student's change file). What it does,
   in the child between fork and exec:

   * a new session, so the whole process group can be killed at once;
   * resource limits: CPU seconds (SIGXCPU, then SIGKILL), address space
     (malloc of 20 GB fails), processes of the user (a fork loop stops at a
     few), file size, open files, no core dumps;
   * when the grader runs as root: a new network namespace with no interface
     up (no network), a chroot into a folder that holds nothing but the
     program (the student's code cannot read the reference solutions, the
     tests or other students' files, nor write anything), and a switch to an
     unprivileged user id of its own, with no supplementary groups and
     no_new_privs (it cannot signal, trace or write the grader's processes
     and files);
   * standard input from a pipe, standard output and error into one pipe that
     the parent reads with a byte cap (a program that prints forever is
     stopped at the cap), and optionally file descriptor 3 into a second pipe
     for the worker's reply.

   The parent enforces a wall-clock deadline (a sleeping or blocked program
   is killed too), and afterwards kills every process the program left
   behind: as root, every process of the sandbox's user id (kill(-1) as that
   user); otherwise its process group and any orphans reparented to us (we are
   a child subreaper). Without root, the limits and the output cap still hold
   but the network, the file system and the grader's processes are not
   protected: sandbox_mode() says which protections are in force. */
#pragma once
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct {
  int uid;                /* run as this user id (needs root); -1: stay who we are */
  const char *chroot_dir; /* root mode only: the program sees only this folder */
  const char *cwd;        /* working directory (after the chroot, if any) */
  int no_network;         /* a new network namespace (root, or an unprivileged user namespace) */
  double wall_seconds;    /* killed after this long */
  double cpu_seconds;     /* RLIMIT_CPU */
  long long as_bytes;     /* RLIMIT_AS */
  long nproc;             /* RLIMIT_NPROC: processes of the user id (root mode) */
  long long fsize_bytes;  /* RLIMIT_FSIZE */
  size_t out_keep;        /* bytes of output kept for the report */
  size_t out_kill;        /* output beyond this many bytes: killed */
  size_t reply_kill;      /* reply (fd 3) beyond this many bytes: killed */
} SandboxLimits;

typedef struct {
  int exited, code;       /* exited normally with this status */
  int signaled, sig;      /* killed by this signal */
  int timed_out;          /* we killed it at the wall-clock deadline */
  int out_overflow;       /* we killed it for printing more than out_kill bytes */
  int reply_overflow;     /* we killed it for a reply larger than reply_kill */
  int setup_failed;       /* the sandbox could not be set up (message in out) */
  double wall, cpu;       /* seconds */
  char *out; size_t out_n, out_total; /* the first out_keep bytes, and how many came */
  unsigned char *reply; size_t reply_n; /* what came on fd 3 */
} SandboxResult;

static int sandbox_is_root(void) { return geteuid() == 0; }

/* Which protections are in force, for the grader's record. */
__attribute__((unused)) static const char *sandbox_mode(void)
{
  return sandbox_is_root()
    ? "root: own uid per student, chroot, no network, rlimits, output cap, uid-wide kill"
    : "not root: rlimits, output cap and process-group kill only (no uid switch, no chroot; "
      "network cut only if unprivileged user namespaces are allowed)";
}

static double sb_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

static void sb_limit(int what, unsigned long long soft, unsigned long long hard)
{
  struct rlimit r = {soft, hard};
  setrlimit(what, &r);
}

/* In the child, after fork and before exec. Returns 0, or -1 with a message. */
static int sandbox_enter(const SandboxLimits *L, char *err, size_t errlen)
{
  if (L->cpu_seconds > 0) {
    unsigned long long c = (unsigned long long) (L->cpu_seconds + 0.999);
    sb_limit(RLIMIT_CPU, c, c + 1);
  }
  if (L->as_bytes > 0) sb_limit(RLIMIT_AS, (unsigned long long) L->as_bytes, (unsigned long long) L->as_bytes);
  if (L->fsize_bytes >= 0) sb_limit(RLIMIT_FSIZE, (unsigned long long) L->fsize_bytes, (unsigned long long) L->fsize_bytes);
  sb_limit(RLIMIT_CORE, 0, 0);
  sb_limit(RLIMIT_NOFILE, 64, 64);
  if (L->uid >= 0 && sandbox_is_root()) {
    if (L->nproc > 0) sb_limit(RLIMIT_NPROC, (unsigned long long) L->nproc, (unsigned long long) L->nproc);
    if (L->no_network && unshare(CLONE_NEWNET) != 0) {
      snprintf(err, errlen, "unshare(CLONE_NEWNET): %s", strerror(errno));
      return -1;
    }
    if (L->chroot_dir) {
      if (chroot(L->chroot_dir) != 0 || chdir("/") != 0) {
        snprintf(err, errlen, "chroot %s: %s", L->chroot_dir, strerror(errno));
        return -1;
      }
    }
    if (L->cwd && chdir(L->cwd) != 0) {
      snprintf(err, errlen, "chdir %s: %s", L->cwd, strerror(errno));
      return -1;
    }
    gid_t g = (gid_t) L->uid;
    uid_t u = (uid_t) L->uid;
    if (setgroups(0, NULL) != 0 || setresgid(g, g, g) != 0 || setresuid(u, u, u) != 0) {
      snprintf(err, errlen, "cannot switch to uid %d: %s", L->uid, strerror(errno));
      return -1;
    }
  } else {
    if (L->no_network) (void) unshare(CLONE_NEWUSER | CLONE_NEWNET); /* best effort */
    if (L->cwd && chdir(L->cwd) != 0) {
      snprintf(err, errlen, "chdir %s: %s", L->cwd, strerror(errno));
      return -1;
    }
  }
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  return 0;
}

/* Kill every live process whose real, effective or saved user id is |uid|;
   returns how many there were. (kill(-1) as that user would be simpler, but
   some kernels report success for it even when nothing is left, so we look
   in /proc ourselves.) */
static int sb_kill_uid(int uid)
{
  int n = 0;
  DIR *d = opendir("/proc");
  struct dirent *e;
  while (d && (e = readdir(d))) {
    char path[300], buf[2048];
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    snprintf(path, sizeof path, "/proc/%s/status", e->d_name);
    FILE *f = fopen(path, "r");
    if (!f) continue;
    size_t k = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[k] = '\0';
    const char *st = strstr(buf, "\nState:\t"), *u = strstr(buf, "\nUid:\t");
    int r, ef, sv;
    if (!u || sscanf(u + 6, "%d %d %d", &r, &ef, &sv) != 3) continue;
    if (st && (st[8] == 'Z' || st[8] == 'X')) continue; /* dead already */
    if (r == uid || ef == uid || sv == uid) {
      kill((pid_t) atoi(e->d_name), SIGKILL);
      n++;
    }
  }
  if (d) closedir(d);
  return n;
}

/* Kill everything the program left behind. */
static void sandbox_sweep(int uid, pid_t pgid)
{
  if (pgid > 0) kill(-pgid, SIGKILL);
  if (uid >= 0 && sandbox_is_root()) {
    for (int i = 0; i < 500 && sb_kill_uid(uid) > 0; i++) {
      while (waitpid(-1, NULL, WNOHANG) > 0) {}
      usleep(1000);
    }
  } else {
    /* orphans that left the process group were reparented to us (subreaper) */
    pid_t me = getpid();
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d))) {
      char path[300], buf[512];
      if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
      snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
      FILE *f = fopen(path, "r");
      if (!f) continue;
      size_t n = fread(buf, 1, sizeof buf - 1, f);
      fclose(f);
      buf[n] = '\0';
      char *rp = strrchr(buf, ')');
      int ppid = 0;
      if (rp && sscanf(rp + 2, "%*c %d", &ppid) == 1 && ppid == me) {
        pid_t p = (pid_t) atoi(e->d_name);
        if (p != pgid) kill(p, SIGKILL);
      }
    }
    if (d) closedir(d);
  }
  while (waitpid(-1, NULL, WNOHANG) > 0) {} /* reap reparented orphans */
}

static void sb_append(char **buf, size_t *n, size_t keep, const char *p, size_t k)
{
  if (*n >= keep) return;
  if (k > keep - *n) k = keep - *n;
  char *nb = realloc(*buf, *n + k + 1);
  if (!nb) return;
  memcpy(nb + *n, p, k);
  *n += k;
  nb[*n] = '\0';
  *buf = nb;
}

/* Run argv[0] (an absolute path, seen from inside the chroot if there is one)
   with envp, feeding it |in|; with |want_reply|, fd 3 is a pipe whose
   content goes to res->reply. */
static void sandbox_run(const SandboxLimits *L, char *const argv[], char *const envp[],
  const void *in, size_t in_n, int want_reply, SandboxResult *res)
{
  memset(res, 0, sizeof *res);
  int pin[2], pout[2], prep[2] = {-1, -1};
  if (pipe2(pin, O_CLOEXEC) || pipe2(pout, O_CLOEXEC) || (want_reply && pipe2(prep, O_CLOEXEC))) {
    res->setup_failed = 1;
    sb_append(&res->out, &res->out_n, 4096, "pipe failed\n", 12);
    return;
  }
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  double t0 = sb_now();
  pid_t pid = fork();
  if (pid == 0) {
    char err[512];
    setsid();
    dup2(pin[0], 0);
    dup2(pout[1], 1);
    dup2(pout[1], 2);
    if (want_reply) dup2(prep[1], 3);
    close_range(want_reply ? 4 : 3, ~0U, 0);
    signal(SIGPIPE, SIG_DFL);
    if (sandbox_enter(L, err, sizeof err) != 0) {
      dprintf(2, "\nsandbox setup failed: %s\n", err);
      _exit(125);
    }
    execve(argv[0], argv, envp);
    dprintf(2, "\nsandbox: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(126);
  }
  close(pin[0]);
  close(pout[1]);
  if (want_reply) close(prep[1]);
  if (pid < 0) {
    res->setup_failed = 1;
    close(pin[1]); close(pout[0]);
    if (want_reply) close(prep[0]);
    return;
  }
  fcntl(pin[1], F_SETFL, O_NONBLOCK);
  size_t in_at = 0;
  if (in_n == 0) { close(pin[1]); pin[1] = -1; }
  int out_open = 1, rep_open = want_reply, reaped = 0, status = 0, reply_too_big = 0;
  struct rusage ru = {0};
  double deadline = t0 + L->wall_seconds, grace_end = 0;
  char buf[65536];
  size_t rep_cap = 0;
  for (;;) {
    if (!reaped) {
      int stop = 0;
      if (sb_now() > deadline) res->timed_out = stop = 1;
      else if (res->out_total > L->out_kill) res->out_overflow = stop = 1;
      else if (reply_too_big) res->reply_overflow = stop = 1;
      if (stop) kill(-pid, SIGKILL);
      pid_t w = wait4(pid, &status, stop ? 0 : WNOHANG, &ru);
      if (w == pid || (w < 0 && errno == ECHILD)) {
        reaped = 1;
        res->wall = sb_now() - t0;
        sandbox_sweep(L->uid, pid); /* whatever it forked dies now, and the pipes close */
        grace_end = sb_now() + 0.5;
      }
    }
    if (reaped && ((!out_open && !rep_open) || sb_now() > grace_end)) break;
    struct pollfd pf[3];
    int np = 0, iin = -1, iout = -1, irep = -1;
    if (pin[1] >= 0) { iin = np; pf[np++] = (struct pollfd) {pin[1], POLLOUT, 0}; }
    if (out_open) { iout = np; pf[np++] = (struct pollfd) {pout[0], POLLIN, 0}; }
    if (rep_open) { irep = np; pf[np++] = (struct pollfd) {prep[0], POLLIN, 0}; }
    int ms = 20;
    if (np) poll(pf, (nfds_t) np, ms);
    else usleep(ms * 1000);
    if (iin >= 0 && (pf[iin].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t k = write(pin[1], (const char *) in + in_at, in_n - in_at);
      if (k > 0) in_at += (size_t) k;
      if ((k < 0 && errno != EAGAIN) || in_at == in_n) { close(pin[1]); pin[1] = -1; }
    }
    if (iout >= 0 && (pf[iout].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t k = read(pout[0], buf, sizeof buf);
      if (k <= 0) out_open = 0;
      else {
        res->out_total += (size_t) k;
        sb_append(&res->out, &res->out_n, L->out_keep, buf, (size_t) k);
      }
    }
    if (irep >= 0 && (pf[irep].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t k = read(prep[0], buf, sizeof buf);
      if (k <= 0) rep_open = 0;
      else if (res->reply_n + (size_t) k > L->reply_kill) reply_too_big = 1;
      else {
        if (res->reply_n + (size_t) k > rep_cap) {
          size_t nc = rep_cap ? rep_cap : 65536;
          while (nc < res->reply_n + (size_t) k) nc *= 2;
          unsigned char *nb = realloc(res->reply, nc);
          if (!nb) abort();
          res->reply = nb;
          rep_cap = nc;
        }
        memcpy(res->reply + res->reply_n, buf, (size_t) k);
        res->reply_n += (size_t) k;
      }
    }
  }
  if (pin[1] >= 0) close(pin[1]);
  close(pout[0]);
  if (want_reply) close(prep[0]);
  res->cpu = (double) ru.ru_utime.tv_sec + 1e-6 * (double) ru.ru_utime.tv_usec
    + (double) ru.ru_stime.tv_sec + 1e-6 * (double) ru.ru_stime.tv_usec;
  if (WIFEXITED(status)) {
    res->exited = 1;
    res->code = WEXITSTATUS(status);
    if (res->code == 125 && res->out && strstr(res->out, "sandbox setup failed")) res->setup_failed = 1;
  } else if (WIFSIGNALED(status)) {
    res->signaled = 1;
    res->sig = WTERMSIG(status);
  }
}

static void sandbox_result_free(SandboxResult *r)
{
  free(r->out);
  free(r->reply);
  memset(r, 0, sizeof *r);
}

/* Why the program stopped, in words a student can act on. */
__attribute__((unused)) static void sandbox_explain(const SandboxLimits *L, const SandboxResult *r, char *buf, size_t n)
{
  if (r->setup_failed)
    snprintf(buf, n, "the sandbox could not start it (a grader problem, not yours): %.300s",
      r->out ? r->out : "");
  else if (r->timed_out)
    snprintf(buf, n, "did not finish within the %.3g s time limit (an endless loop? "
      "a loop that waits for something?) and was killed", L->wall_seconds);
  else if (r->out_overflow)
    snprintf(buf, n, "printed more than %zu bytes and was stopped (printing in a loop?)",
      L->out_kill);
  else if (r->reply_overflow)
    snprintf(buf, n, "wrote more than %zu bytes on file descriptor 3 and was stopped",
      L->reply_kill);
  else if (r->signaled && r->sig == SIGXCPU)
    snprintf(buf, n, "used more than its %.3g s of CPU time (an endless loop?) and was "
      "stopped (SIGXCPU)", L->cpu_seconds);
  else if (r->signaled)
    snprintf(buf, n, "crashed: %s (signal %d)%s", strsignal(r->sig), r->sig,
      r->sig == SIGSEGV ? ": a read or write outside an array, or through a NULL or "
      "freed pointer? (an allocation beyond the memory limit returns NULL)"
      : r->sig == SIGABRT ? ": abort(), a failed assert(), or a corrupted heap?"
      : r->sig == SIGFPE ? ": an integer division by zero?"
      : r->sig == SIGKILL ? ": killed from outside, e.g. by a kill() in the code" : "");
  else if (r->exited)
    snprintf(buf, n, "exited with status %d before it finished: is there an exit(), "
      "_exit() or abort() in the code? (an exit, even with status 0, never counts as a pass)",
      r->code);
  else
    snprintf(buf, n, "stopped for an unknown reason");
}
