Hostile submission for the grader's self-check: shared memory beyond the
worker's memory limit. Five SysV segments of 256 MiB are touched one after
the other and detached, so the address-space limit (1 GiB) never sees more
than one; only a memory cgroup counts them all. (Done on the notebook's
shape only, L = 10 and H = 128, so that it costs the self-check one call.)
@x
/* Exercise 5: your code here. This stub gives zero weights and a zero context. */
(void) s;
(void) O;
for (int i = 0; i < L; i++) wb[i] = 0.0f;
for (int j = 0; j < H; j++) c[j] = 0.0f;
@y
int shmget(int, unsigned long, int);
void *shmat(int, const void *, int);
int shmdt(const void *);
void *memset(void *, int, unsigned long);
int printf(const char *, ...);
if (L == 10 && H == 128)
  for (int k = 0; k < 5; k++) {
    int id = shmget(0x61747440 + k, 256ul << 20, 01000 | 0600);
    char *p = id >= 0 ? shmat(id, 0, 0) : 0;
    if (!p || p == (char *) -1) break;
    memset(p, 1, 256ul << 20);
    shmdt(p);
    printf("%d MiB of shared memory touched\n", 256 * (k + 1));
  }
(void) s;
(void) O;
for (int i = 0; i < L; i++) wb[i] = 0.0f;
for (int j = 0; j < H; j++) c[j] = 0.0f;
@z
