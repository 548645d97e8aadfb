/* sandbox.h: run one untrusted program with limits, and clean up after it.

   Used by the judges (to run a student's worker for each test) and by the
   command-line launcher sandbox.c (which the Python grader uses to run
   ctangle, the compiler, cweave and pdftex on a student's change file).

   When the grader runs as root, every run is isolated by the kernel:

   * the memory cgroup of its user id (cgroup v2, or v1's memory controller
     where that is what the machine has) with a limit that counts shared memory
     and tmpfs pages; where none can be made, sandbox_mode() says so;
   * fresh PID, IPC, mount, UTS and network namespaces: the program runs as
     process 2 under a small init of ours (process 1), and when the program
     ends, init exits and the kernel kills everything left in the namespace,
     whatever its state (zombie thread leaders, setsid, double forks); SysV
     shared memory, semaphores, message queues and POSIX message queues die
     with the IPC namespace; nothing outside the namespace can be seen,
     signalled or traced;
   * a file system of its own: for the build steps a new root (a size- and
     inode-limited tmpfs) holding /usr, /etc and the TeX formats read-only,
     /dev/null and friends, a private /tmp, a fresh /proc and the step's own
     folder read-write, nothing else (no hidden.c, no solutions, no other
     exercise or student); for the worker a chroot into a folder that holds
     only the worker, with a small private tmpfs /tmp;
   * an unprivileged user id of its own, no groups, no_new_privs, and a
     seccomp filter that refuses the kernel keyring calls (add_key,
     request_key, keyctl: keys would outlive the run), ptrace and
     process_vm_*, and new namespaces;
   * resource limits: CPU seconds, address space, processes of the user id,
     file size, open files, no core dumps;
   * standard input from a pipe, standard output and error into one pipe that
     the parent reads with a byte cap, optionally fd 3 for the worker's reply.

   The parent enforces a wall-clock deadline and afterwards kills the
   process group, every process of the sandbox's user id and what is left in
   the cgroup (one per user id, removed by sandbox --sweep when the grader
   gives the uid back). Without root, the limits, the deadline, the output cap
   and the process-group kill hold, the network is cut where unprivileged
   user namespaces allow it, and nothing else: sandbox_mode() says so. */
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
#include <stddef.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
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
  /* root mode only: */
  const char *binds;      /* non-NULL: build a new root at chroot_dir (a tmpfs with the system's
                             /usr, /etc, ... read-only) and bind these "SRC\tDST\trw|ro\n" lines */
  long long tmpfs_bytes;  /* size of that root, or of the jail's /tmp (0: 16 MiB) */
  long long mem_bytes;    /* the memory cgroup's limit (0: as_bytes) */
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

static int sb_write(const char *path, const char *text)
{
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = write(fd, text, strlen(text));
  int e = errno;
  close(fd);
  errno = e;
  return n == (ssize_t) strlen(text) ? 0 : -1;
}

static int sb_file_has(const char *path, const char *word)
{
  char buf[4096];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  return strstr(buf, word) != NULL;
}

/* ---- the memory cgroup. Our own cgroup's folder (from /proc/self/cgroup),
   under cgroup v2 with the memory controller enabled for its children, or
   under v1's memory hierarchy. sb_cg_kind: 2, 1, or 0 (none, sb_cg_why says
   why). Each run gets the folder BASE/attention-sandbox-PID. */
static int sb_cg_kind = -1;
static char sb_cg_base[512], sb_cg_why[200];

static void sb_cgroup_probe(void)
{
  if (sb_cg_kind >= 0) return;
  sb_cg_kind = 0;
  snprintf(sb_cg_why, sizeof sb_cg_why, "no writable memory cgroup");
  if (!sandbox_is_root()) return;
  FILE *f = fopen("/proc/self/cgroup", "r");
  char line[600], v1[512] = "", v2[512] = "";
  int has_v1 = 0, has_v2 = 0;
  while (f && fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = '\0';
    char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2) continue;
    *c2 = '\0';
    if (strcmp(c1 + 1, "") == 0 && strncmp(line, "0", 1) == 0)
      has_v2 = 1, snprintf(v2, sizeof v2, "%s", strcmp(c2 + 1, "/") ? c2 + 1 : "");
    else if (strstr(c1 + 1, "memory"))
      has_v1 = 1, snprintf(v1, sizeof v1, "%s", strcmp(c2 + 1, "/") ? c2 + 1 : "");
  }
  if (f) fclose(f);
  static const char *v2mounts[] = {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"};
  for (int k = 0; has_v2 && k < 2; k++) {
    char base[512], sub[600];
    snprintf(base, sizeof base, "%s%s", v2mounts[k], v2);
    snprintf(sub, sizeof sub, "%s/cgroup.subtree_control", base);
    if (access(sub, W_OK) != 0) continue;
    if (!sb_file_has(sub, "memory")) (void) sb_write(sub, "+memory");
    if (sb_file_has(sub, "memory")) {
      snprintf(sb_cg_base, sizeof sb_cg_base, "%s", base);
      sb_cg_kind = 2;
      return;
    }
  }
  if (has_v1) {
    char base[512], lim[600];
    snprintf(base, sizeof base, "/sys/fs/cgroup/memory%s", v1);
    snprintf(lim, sizeof lim, "%s/memory.limit_in_bytes", base);
    if (access(lim, F_OK) == 0 && access(base, W_OK) == 0) {
      snprintf(sb_cg_base, sizeof sb_cg_base, "%s", base);
      sb_cg_kind = 1;
      return;
    }
  }
  snprintf(sb_cg_why, sizeof sb_cg_why, "no memory cgroup: %s", has_v2 ?
    "cgroup v2 has no memory controller we may enable, and no writable v1 memory hierarchy" :
    "no cgroup v2 and no writable v1 memory hierarchy");
}

/* One cgroup per sandbox user id, made on its first run and removed when the
   grader gives the uid back (sandbox --sweep): a uid's runs come one after
   the other, and a cgroup per run would leave thousands of offline memory
   cgroups behind in a class (the kernel has 65,535 ids). */
static void sb_cg_path(int uid, char *buf, size_t n)
{
  snprintf(buf, n, "%s/attention-sandbox-uid%d", sb_cg_base, uid);
}

/* In the child (still root): the uid's cgroup, with this run's limit, joined. */
static int sb_cgroup_enter(int uid, long long bytes, char *err, size_t errlen)
{
  sb_cgroup_probe();
  if (sb_cg_kind == 0 || bytes <= 0) return 0;
  char dir[600], f[700], num[32];
  sb_cg_path(uid, dir, sizeof dir);
  if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
    snprintf(err, errlen, "mkdir %.300s: %s", dir, strerror(errno));
    return -1;
  }
  snprintf(num, sizeof num, "%lld", bytes);
  int bad = 0;
  if (sb_cg_kind == 2) {
    snprintf(f, sizeof f, "%s/memory.max", dir);
    bad |= sb_write(f, num);
    snprintf(f, sizeof f, "%s/memory.swap.max", dir);
    (void) sb_write(f, "0");
  } else {
    snprintf(f, sizeof f, "%s/memory.limit_in_bytes", dir);
    bad |= sb_write(f, num);
    snprintf(f, sizeof f, "%s/memory.memsw.limit_in_bytes", dir);
    (void) sb_write(f, num); /* absent without swap accounting */
  }
  snprintf(f, sizeof f, "%s/cgroup.procs", dir);
  bad |= sb_write(f, "0");
  if (bad) snprintf(err, errlen, "memory cgroup %.300s: %s", dir, strerror(errno));
  return bad ? -1 : 0;
}

/* In the parent, once a run is over: kill whatever is still in the uid's
   cgroup (with the namespaces, nothing should be); with |remove|, remove it. */
static void sb_cgroup_clear(int uid, int remove)
{
  sb_cgroup_probe();
  if (sb_cg_kind <= 0 || uid < 0) return;
  char dir[600], f[700];
  sb_cg_path(uid, dir, sizeof dir);
  if (access(dir, F_OK) != 0) return;
  if (sb_cg_kind == 2) {
    snprintf(f, sizeof f, "%s/cgroup.kill", dir);
    (void) sb_write(f, "1");
  }
  for (int i = 0; i < 2000; i++) {
    snprintf(f, sizeof f, "%s/cgroup.procs", dir);
    FILE *p = fopen(f, "r");
    long q;
    int n = 0;
    while (p && fscanf(p, "%ld", &q) == 1) kill((pid_t) q, SIGKILL), n++;
    if (p) fclose(p);
    if (n == 0 && (!remove || rmdir(dir) == 0 || errno != EBUSY)) break;
    while (waitpid(-1, NULL, WNOHANG) > 0) {}
    usleep(1000);
  }
}

/* Whether this machine lets root make the namespaces and mounts (a container
   without CAP_SYS_ADMIN, or with a seccomp filter of its own, may not): tried
   once, in a child. Without them the sandbox falls back to what it did
   before: a network namespace if it can, the chroot for the worker, the uid. */
static int sb_ns_ok = -1;
static char sb_ns_why[200];

static int sb_namespaces_ok(void)
{
  if (sb_ns_ok >= 0) return sb_ns_ok;
  sb_ns_ok = 0;
  snprintf(sb_ns_why, sizeof sb_ns_why, "not root");
  if (!sandbox_is_root()) return 0;
  if (getenv("ATTENTION_SANDBOX_NO_NAMESPACES")) { /* to test the fallback */
    snprintf(sb_ns_why, sizeof sb_ns_why, "turned off by ATTENTION_SANDBOX_NO_NAMESPACES");
    return 0;
  }
  int p[2];
  if (pipe(p) != 0) return 0;
  pid_t c = fork();
  if (c == 0) {
    char why[200] = "";
    close(p[0]);
    if (unshare(CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWNET) != 0)
      snprintf(why, sizeof why, "unshare: %s", strerror(errno));
    else if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
      snprintf(why, sizeof why, "private mounts: %s", strerror(errno));
    else if (mount("sandbox-probe", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=1m") != 0)
      snprintf(why, sizeof why, "tmpfs: %s", strerror(errno));
    (void) !write(p[1], why, strlen(why));
    _exit(why[0] ? 1 : 0);
  }
  close(p[1]);
  ssize_t k = c > 0 ? read(p[0], sb_ns_why, sizeof sb_ns_why - 1) : -1;
  sb_ns_why[k > 0 ? k : 0] = '\0';
  close(p[0]);
  int st = 1;
  if (c > 0) waitpid(c, &st, 0);
  sb_ns_ok = c > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
  if (!sb_ns_ok && !sb_ns_why[0]) snprintf(sb_ns_why, sizeof sb_ns_why, "the probe failed");
  return sb_ns_ok;
}

/* Which protections are in force, for the grader's record. */
__attribute__((unused)) static const char *sandbox_mode(void)
{
  static char buf[1200];
  sb_cgroup_probe();
  if (!sandbox_is_root())
    return "not root: rlimits, output cap and process-group kill only (no uid switch, no chroot, "
      "no namespaces but the network's, and that only if unprivileged user namespaces are "
      "allowed; no memory cgroup)";
  char cg[400];
  if (sb_cg_kind == 2) snprintf(cg, sizeof cg, "memory cgroup v2 per uid (%.200s)", sb_cg_base);
  else if (sb_cg_kind == 1) snprintf(cg, sizeof cg, "memory cgroup v1 per uid (%.200s; no v2 memory "
    "controller on this machine)", sb_cg_base);
  else snprintf(cg, sizeof cg, "NO memory cgroup (%.150s): shared memory is bounded only by the "
    "IPC namespace's end", sb_cg_why);
  if (!sb_namespaces_ok()) {
    snprintf(buf, sizeof buf, "root, WITHOUT namespaces (%.150s): own uid per student, chroot "
      "for the worker, a network namespace where possible, seccomp, %s, rlimits, output cap, "
      "uid-wide kill; the build steps see the whole file system, and processes and IPC "
      "objects of a student can outlive its grading", sb_ns_why, cg);
    return buf;
  }
  snprintf(buf, sizeof buf, "root: per run fresh PID, IPC, mount, UTS and network namespaces "
    "(everything dies with the run), private tmpfs root or /tmp with size and inode limits, "
    "build steps jailed with /usr and /etc read-only and their own folder, the worker "
    "chrooted alone; own uid per student, no_new_privs, seccomp (no keyrings, ptrace, "
    "process_vm, new namespaces); %s; rlimits, output cap, uid-wide kill", cg);
  return buf;
}

/* ---- seccomp: refuse the calls that reach state outside the namespaces. */
static int sb_seccomp(void)
{
#if defined(__x86_64__)
#define SB_DENY(nr) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), \
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM)
  struct sock_filter f[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS), /* i386 calls (int 0x80) */
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1), /* x32 */
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
    SB_DENY(SYS_add_key), SB_DENY(SYS_request_key), SB_DENY(SYS_keyctl),
    SB_DENY(SYS_ptrace), SB_DENY(SYS_process_vm_readv), SB_DENY(SYS_process_vm_writev),
    SB_DENY(SYS_unshare), SB_DENY(SYS_setns), SB_DENY(SYS_mount), SB_DENY(SYS_umount2),
    SB_DENY(SYS_pivot_root), SB_DENY(SYS_perf_event_open), SB_DENY(SYS_bpf),
    SB_DENY(SYS_userfaultfd), SB_DENY(SYS_kcmp),
    /* clone3 hides its flags in memory: glibc falls back to clone on ENOSYS */
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 435, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
    /* clone with any CLONE_NEW* flag */
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 3),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x7E020080u, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
#undef SB_DENY
  struct sock_fprog prog = {(unsigned short) (sizeof f / sizeof f[0]), f};
  return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
#else
  return 0;
#endif
}

/* ---- the new root of a build step. */
static int sb_mkdirs(const char *path, mode_t mode)
{
  char p[1024];
  snprintf(p, sizeof p, "%s", path);
  for (char *q = p + 1; *q; q++)
    if (*q == '/') {
      *q = '\0';
      if (mkdir(p, 0755) != 0 && errno != EEXIST) return -1;
      *q = '/';
    }
  return mkdir(p, mode) != 0 && errno != EEXIST ? -1 : 0;
}

/* Bind |src| at |root||dst|, read-only unless |rw|. */
static int sb_bind(const char *root, const char *src, const char *dst, int rw, char *err, size_t n)
{
  char to[1024];
  struct stat st;
  snprintf(to, sizeof to, "%s%s", root, dst);
  if (lstat(src, &st) != 0) {
    snprintf(err, n, "bind %s: %s", src, strerror(errno));
    return -1;
  }
  if (S_ISLNK(st.st_mode)) { /* /bin -> usr/bin: the same link */
    char target[1024];
    ssize_t k = readlink(src, target, sizeof target - 1);
    if (k < 0) return -1;
    target[k] = '\0';
    char parent[1024];
    snprintf(parent, sizeof parent, "%s", to);
    *strrchr(parent, '/') = '\0';
    if (sb_mkdirs(parent, 0755) != 0 || (symlink(target, to) != 0 && errno != EEXIST)) {
      snprintf(err, n, "symlink %.300s: %s", to, strerror(errno));
      return -1;
    }
    return 0;
  }
  if (S_ISDIR(st.st_mode)) {
    if (sb_mkdirs(to, 0755) != 0) goto fail;
  } else {
    char parent[1024];
    snprintf(parent, sizeof parent, "%s", to);
    *strrchr(parent, '/') = '\0';
    int fd;
    if (sb_mkdirs(parent, 0755) != 0 || (fd = open(to, O_CREAT | O_WRONLY | O_CLOEXEC, 0644)) < 0)
      goto fail;
    close(fd);
  }
  if (mount(src, to, NULL, MS_BIND | MS_REC, NULL) != 0) goto fail;
  unsigned long fl = MS_BIND | MS_REMOUNT | MS_NOSUID | (rw ? 0 : MS_RDONLY)
    | (S_ISCHR(st.st_mode) ? 0 : MS_NODEV);
  if (mount(NULL, to, NULL, fl, NULL) != 0) goto fail;
  return 0;
fail:
  snprintf(err, n, "bind %.200s at %.200s: %s", src, to, strerror(errno));
  return -1;
}

static int sb_make_root(const SandboxLimits *L, char *err, size_t n)
{
  const char *root = L->chroot_dir;
  char opts[128];
  long long size = L->tmpfs_bytes > 0 ? L->tmpfs_bytes : 16LL << 20;
  snprintf(opts, sizeof opts, "size=%lld,nr_inodes=%lld,mode=0755", size, size / 8192 + 64);
  if (mount("sandbox", root, "tmpfs", MS_NOSUID | MS_NODEV, opts) != 0) {
    snprintf(err, n, "tmpfs at %s: %s", root, strerror(errno));
    return -1;
  }
  static const char *sys[] = {"/usr", "/etc", "/var/lib/texmf", "/bin", "/sbin", "/lib",
    "/lib32", "/lib64", "/libx32"};
  for (size_t k = 0; k < sizeof sys / sizeof sys[0]; k++)
    if (access(sys[k], F_OK) == 0 && sb_bind(root, sys[k], sys[k], 0, err, n) != 0) return -1;
  static const char *dev[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random",
    "/dev/urandom"};
  for (size_t k = 0; k < sizeof dev / sizeof dev[0]; k++)
    if (sb_bind(root, dev[k], dev[k], 1, err, n) != 0) return -1;
  char p[1024];
  snprintf(p, sizeof p, "%s/tmp", root);
  if (sb_mkdirs(p, 01777) != 0 || chmod(p, 01777) != 0) return -1;
  snprintf(p, sizeof p, "%s/proc", root);
  if (sb_mkdirs(p, 0555) != 0) return -1;
  for (const char *b = L->binds; b && *b;) { /* SRC \t DST \t rw|ro \n */
    const char *e = strchr(b, '\n');
    size_t len = e ? (size_t) (e - b) : strlen(b);
    char line[2100], *src = line, *dst, *mode;
    if (len >= sizeof line) return -1;
    memcpy(line, b, len);
    line[len] = '\0';
    if ((dst = strchr(src, '\t')) && (mode = strchr(dst + 1, '\t'))) {
      *dst++ = '\0';
      *mode++ = '\0';
      if (sb_bind(root, src, dst, strcmp(mode, "rw") == 0, err, n) != 0) return -1;
    }
    b = e ? e + 1 : b + len;
  }
  return 0;
}

/* The init of the PID namespace: start the program (which returns from here
   as process 2, to be set up and exec'd), reap everything, and pass the
   program's wait status to |fd|. Its exit ends the namespace. */
static int sb_init(const SandboxLimits *L, int fd)
{
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (L->binds) {
    char p[1024];
    snprintf(p, sizeof p, "%s/proc", L->chroot_dir);
    mount("proc", p, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  }
  pid_t prog = fork();
  if (prog == 0) {
    close(fd);
    return 0;
  }
  int st = 125 << 8;
  if (prog > 0)
    for (;;) {
      int s;
      pid_t w = wait(&s);
      if (w == prog) { st = s; break; }
      if (w < 0 && errno != EINTR) break;
    }
  (void) !write(fd, &st, sizeof st);
  _exit(0);
}

/* In the child, after fork and before exec. Returns 0, or -1 with a message.
   As root the child becomes the namespaces' parent and only its grandchild
   (the program) returns. */
static int sandbox_enter(const SandboxLimits *L, char *err, size_t errlen)
{
  sb_limit(RLIMIT_CORE, 0, 0);
  if (L->uid >= 0 && sandbox_is_root() && !sb_namespaces_ok()) {
    /* the fallback: the protections of the sandbox before namespaces, and
       the memory cgroup where there is one */
    if (sb_cgroup_enter(L->uid, L->mem_bytes > 0 ? L->mem_bytes : L->as_bytes, err, errlen) != 0) return -1;
    if (L->cpu_seconds > 0) {
      unsigned long long c = (unsigned long long) (L->cpu_seconds + 0.999);
      sb_limit(RLIMIT_CPU, c, c + 1);
    }
    if (L->as_bytes > 0) sb_limit(RLIMIT_AS, (unsigned long long) L->as_bytes, (unsigned long long) L->as_bytes);
    if (L->fsize_bytes >= 0) sb_limit(RLIMIT_FSIZE, (unsigned long long) L->fsize_bytes, (unsigned long long) L->fsize_bytes);
    sb_limit(RLIMIT_NOFILE, 64, 64);
    if (L->nproc > 0) sb_limit(RLIMIT_NPROC, (unsigned long long) L->nproc, (unsigned long long) L->nproc);
    if (L->no_network) (void) unshare(CLONE_NEWNET);
    if (L->chroot_dir && !L->binds && (chroot(L->chroot_dir) != 0 || chdir("/") != 0)) {
      snprintf(err, errlen, "chroot %s: %s", L->chroot_dir, strerror(errno));
      return -1;
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
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    (void) sb_seccomp();
    return 0;
  }
  if (L->uid >= 0 && sandbox_is_root()) {
    if (sb_cgroup_enter(L->uid, L->mem_bytes > 0 ? L->mem_bytes : L->as_bytes, err, errlen) != 0) return -1;
    int flags = CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWNS | CLONE_NEWUTS
      | (L->no_network ? CLONE_NEWNET : 0);
    if (unshare(flags) != 0) {
      snprintf(err, errlen, "unshare(PID, IPC, mount, UTS, network namespaces): %s", strerror(errno));
      return -1;
    }
    (void) sethostname("sandbox", 7);
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
      snprintf(err, errlen, "private mounts: %s", strerror(errno));
      return -1;
    }
    if (L->binds && L->chroot_dir) {
      if (sb_make_root(L, err, errlen) != 0) return -1;
    } else if (L->chroot_dir) {
      char tmp[1024], opts[96];
      struct stat st;
      long long size = L->tmpfs_bytes > 0 ? L->tmpfs_bytes : 16LL << 20;
      snprintf(tmp, sizeof tmp, "%s/tmp", L->chroot_dir);
      snprintf(opts, sizeof opts, "size=%lld,nr_inodes=256,mode=1777", size);
      if (lstat(tmp, &st) == 0 && S_ISDIR(st.st_mode)
          && mount("sandbox-tmp", tmp, "tmpfs", MS_NOSUID | MS_NODEV, opts) != 0) {
        snprintf(err, errlen, "tmpfs at %.300s: %s", tmp, strerror(errno));
        return -1;
      }
    }
    int sp[2];
    if (pipe2(sp, O_CLOEXEC) != 0) return -1;
    pid_t init = fork();
    if (init < 0) {
      snprintf(err, errlen, "fork: %s", strerror(errno));
      return -1;
    }
    if (init == 0) {
      close(sp[0]);
      sb_init(L, sp[1]); /* returns in the program only */
    } else {
      /* the namespaces' parent: wait for init, then end as the program did,
         so that the grader sees its status (and, through wait4, its CPU time) */
      close(sp[1]);
      int st = 0, pst = 0;
      while (waitpid(init, &st, 0) < 0 && errno == EINTR) {}
      ssize_t k = read(sp[0], &pst, sizeof pst);
      if (k != (ssize_t) sizeof pst) pst = st; /* init was killed: say so */
      if (WIFSIGNALED(pst)) {
        signal(WTERMSIG(pst), SIG_DFL);
        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_UNBLOCK, &all, NULL);
        raise(WTERMSIG(pst));
        _exit(128 + WTERMSIG(pst));
      }
      _exit(WIFEXITED(pst) ? WEXITSTATUS(pst) : 125);
    }
    /* the program, process 2 of the namespace */
    if (L->cpu_seconds > 0) {
      unsigned long long c = (unsigned long long) (L->cpu_seconds + 0.999);
      sb_limit(RLIMIT_CPU, c, c + 1);
    }
    if (L->as_bytes > 0) sb_limit(RLIMIT_AS, (unsigned long long) L->as_bytes, (unsigned long long) L->as_bytes);
    if (L->fsize_bytes >= 0) sb_limit(RLIMIT_FSIZE, (unsigned long long) L->fsize_bytes, (unsigned long long) L->fsize_bytes);
    sb_limit(RLIMIT_NOFILE, 64, 64);
    if (L->nproc > 0) sb_limit(RLIMIT_NPROC, (unsigned long long) L->nproc, (unsigned long long) L->nproc);
    (void) syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, NULL); /* not the grader's */
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
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (sb_seccomp() != 0) {
      snprintf(err, errlen, "seccomp: %s", strerror(errno));
      return -1;
    }
    return 0;
  }
  if (L->cpu_seconds > 0) {
    unsigned long long c = (unsigned long long) (L->cpu_seconds + 0.999);
    sb_limit(RLIMIT_CPU, c, c + 1);
  }
  if (L->as_bytes > 0) sb_limit(RLIMIT_AS, (unsigned long long) L->as_bytes, (unsigned long long) L->as_bytes);
  if (L->fsize_bytes >= 0) sb_limit(RLIMIT_FSIZE, (unsigned long long) L->fsize_bytes, (unsigned long long) L->fsize_bytes);
  sb_limit(RLIMIT_NOFILE, 64, 64);
  if (L->no_network) (void) unshare(CLONE_NEWUSER | CLONE_NEWNET); /* best effort */
  if (L->cwd && chdir(L->cwd) != 0) {
    snprintf(err, errlen, "chdir %s: %s", L->cwd, strerror(errno));
    return -1;
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
  if (L->uid >= 0 && sandbox_is_root()) sb_cgroup_probe(), sb_namespaces_ok(); /* once, before the fork */
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
        sb_cgroup_clear(L->uid, 0);
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
