/* sandbox: the command-line face of sandbox.h, for the Python grader.

     sandbox [options] -- PROGRAM [ARGS...]
       --uid N          run as user id N (root only; otherwise ignored)
       --chroot DIR     (root only) PROGRAM is a path inside DIR
       --cwd DIR        working directory
       --no-network     a new network namespace
       --wall S --cpu S --mem MB --nproc N --fsize MB
       --out-keep BYTES --out-kill BYTES
       --root DIR       (root only) a new root at DIR (an empty folder): a tmpfs
                        with /usr, /etc and the TeX formats read-only, /dev/null
                        and friends, /tmp and /proc; PROGRAM is a path in it
       --bind SRC[:rw]  (with --root) SRC at the same path, read-only or rw
       --tmpfs MB       the size of that root (or of a chroot's /tmp)
       --memcg MB       the memory cgroup's limit (default: --mem)
       --env NAME=VALUE (repeatable; the environment is otherwise empty
                         but for PATH=/usr/bin:/bin and LC_ALL=C)
     sandbox --sweep UID    kill every process of user id UID, remove its cgroup
     sandbox --mode         say which protections are in force

   The program's output (standard output and error together, at most
   --out-keep bytes) goes to our standard output; one status line goes to our
   standard error: "sandbox: exit N", "sandbox: signal N", "sandbox: timeout",
   "sandbox: output-limit" or "sandbox: setup-failed", then the wall and CPU
   seconds. The exit status is the program's, 128+N for a signal, 124 for a
   timeout or the output limit, 125 when the sandbox failed. */
#include "sandbox.h"

int main(int argc, char **argv)
{
  SandboxLimits L = {-1, NULL, NULL, 0, 60, 60, 2LL << 30, 64, 64LL << 20, 65536, 1 << 20, 0,
    NULL, 0, 0};
  static char binds[8192];
  size_t nb = 0;
  char *env[64] = {"PATH=/usr/bin:/bin", "LC_ALL=C"};
  int nenv = 2, i = 1;
  for (; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--") == 0) { i++; break; }
    if (strcmp(a, "--mode") == 0) { puts(sandbox_mode()); return 0; }
    if (strcmp(a, "--no-network") == 0) { L.no_network = 1; continue; }
    if (!v) { fprintf(stderr, "sandbox: %s wants a value\n", a); return 125; }
    i++;
    if (strcmp(a, "--sweep") == 0) {
      sandbox_sweep(atoi(v), 0);
      if (sandbox_is_root()) sb_cgroup_clear(atoi(v), 1);
      return 0;
    }
    else if (strcmp(a, "--uid") == 0) L.uid = atoi(v);
    else if (strcmp(a, "--chroot") == 0) L.chroot_dir = v;
    else if (strcmp(a, "--root") == 0) L.chroot_dir = v, L.binds = binds;
    else if (strcmp(a, "--bind") == 0) {
      size_t len = strlen(v);
      int rw = len > 3 && strcmp(v + len - 3, ":rw") == 0;
      if (rw) len -= 3;
      int k = snprintf(binds + nb, sizeof binds - nb, "%.*s\t%.*s\t%s\n", (int) len, v, (int) len, v,
        rw ? "rw" : "ro");
      if (k < 0 || (size_t) k >= sizeof binds - nb) { fprintf(stderr, "sandbox: too many --bind\n"); return 125; }
      nb += (size_t) k;
    }
    else if (strcmp(a, "--tmpfs") == 0) L.tmpfs_bytes = atoll(v) << 20;
    else if (strcmp(a, "--memcg") == 0) L.mem_bytes = atoll(v) << 20;
    else if (strcmp(a, "--cwd") == 0) L.cwd = v;
    else if (strcmp(a, "--wall") == 0) L.wall_seconds = atof(v);
    else if (strcmp(a, "--cpu") == 0) L.cpu_seconds = atof(v);
    else if (strcmp(a, "--mem") == 0) L.as_bytes = atoll(v) << 20;
    else if (strcmp(a, "--nproc") == 0) L.nproc = atol(v);
    else if (strcmp(a, "--fsize") == 0) L.fsize_bytes = atoll(v) << 20;
    else if (strcmp(a, "--out-keep") == 0) L.out_keep = (size_t) atoll(v);
    else if (strcmp(a, "--out-kill") == 0) L.out_kill = (size_t) atoll(v);
    else if (strcmp(a, "--env") == 0 && nenv < 62) env[nenv++] = (char *) v;
    else { fprintf(stderr, "sandbox: unknown option %s\n", a); return 125; }
  }
  if (i >= argc) { fprintf(stderr, "sandbox: no program\n"); return 125; }
  if (!sandbox_is_root()) L.uid = -1, L.chroot_dir = NULL, L.binds = NULL;
  SandboxResult r;
  sandbox_run(&L, argv + i, env, NULL, 0, 0, &r);
  if (r.out_n) fwrite(r.out, 1, r.out_n, stdout);
  if (r.out_total > r.out_n) printf("\n[... %zu more bytes of output not shown]\n", r.out_total - r.out_n);
  fflush(stdout);
  int rc;
  if (r.setup_failed) { fprintf(stderr, "sandbox: setup-failed"); rc = 125; }
  else if (r.timed_out) { fprintf(stderr, "sandbox: timeout"); rc = 124; }
  else if (r.out_overflow) { fprintf(stderr, "sandbox: output-limit"); rc = 124; }
  else if (r.signaled) { fprintf(stderr, "sandbox: signal %d", r.sig); rc = 128 + r.sig; }
  else { fprintf(stderr, "sandbox: exit %d", r.code); rc = r.code; }
  fprintf(stderr, " wall %.3f cpu %.3f\n", r.wall, r.cpu);
  sandbox_result_free(&r);
  return rc;
}
