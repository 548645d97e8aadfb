Hostile submission for the grader's self-check: state that outlives a call.
Each call of the worker finds or makes a SysV shared memory segment, a message
queue, a semaphore set, a POSIX message queue and a key in the user's keyring,
and counts the worker's runs in the segment: with them shared, one call (or one
student on the same uid) hands data to the next, and all of it outlives the
grading.
@x
/* Exercise 5: your code here. This stub gives zero weights and a zero context. */
(void) s;
(void) O;
for (int i = 0; i < L; i++) wb[i] = 0.0f;
for (int j = 0; j < H; j++) c[j] = 0.0f;
@y
int shmget(int, unsigned long, int);
void *shmat(int, const void *, int);
int msgget(int, int);
int semget(int, int, int);
int mq_open(const char *, int, ...);
long syscall(long, ...);
int printf(const char *, ...);
static int seen; /* the first use in this process prints the count of processes */
int shm = shmget(0x61747431, 4096, 01000 | 0600);
int *count = shm >= 0 && !seen++ ? shmat(shm, 0, 0) : 0;
if (count && count != (int *) -1) printf("call %d of this student\n", ++*count);
msgget(0x61747432, 01000 | 0600);
semget(0x61747433, 1, 01000 | 0600);
mq_open("/attention-hostile", 0100 | 02, 0600, 0);
syscall(248 /* add_key */, "user", "attention-hostile", "left behind", 11, -4 /* the user keyring */);
(void) s;
(void) O;
for (int i = 0; i < L; i++) wb[i] = 0.0f;
for (int j = 0; j < H; j++) c[j] = 0.0f;
@z
