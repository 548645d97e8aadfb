# make book: the index without the names a reader does not look up. cweave
# writes book/attention.idx, one entry to a line or more (an entry ends with
# a full stop); this drops whole entries whose identifier is
#  * one letter (the locals i, k, n, x, ...),
#  * a function, constant or type of the Cairo, cJSON or utf8proc libraries,
#  * a common name of the C library, of POSIX threads or of the compiler
#    (memcpy, strlen, fprintf, pthread_mutex_lock, __GNUC__, ...).
# Library calls that the book discusses (erand48, getline, madvise, mkstemp,
# fsync, rename, posix_memalign, expf, tanhf, ...) stay.
BEGIN {
  n = split("access atomic_fetch_add_explicit atomic_load atomic_load_explicit " \
    "atomic_store atomic_store_explicit calloc ceil clock_gettime CLOCK_MONOTONIC close " \
    "cos EINTR errno exit fabs fchmod fclose fdopen ferror fflush fgets fileno floor " \
    "fmax fmin fopen fprintf fputs fread free fseek fstat ftell fwrite getenv " \
    "getopt getopt_long gmtime_r INFINITY isfinite log logf log10 lround M_PI " \
    "M_SQRT1_2 memcmp memcpy memory_order_acquire memory_order_release memset mode_t " \
    "no_argument optarg opterr optind option pow printf putchar realloc " \
    "required_argument S_ISDIR sched_yield SEEK_END snprintf sprintf sqrt sqrtf sscanf " \
    "ssize_t st_mode st_size stat stderr stdin stdout strcasecmp strchr strcmp strcpy " \
    "strcspn strerror strftime strlen strncat strncmp strrchr strtod strtol strtoll " \
    "sysconf _SC_NPROCESSORS_ONLN timespec tm tv_nsec tv_sec uint8_t uint32_t uint64_t " \
    "umask unlink va_end va_start vsnprintf W_OK write __attribute__ __clang__ " \
    "__GNUC__ __i386__ __x86_64__", names, " ")
  for (i = 1; i <= n; i++) omit[names[i]] = 1
}
{
  entry = entry $0 "\n"
  if ($0 !~ /\.$/) next
  key = entry
  if (sub(/^\\I\\[\\.&|]\{/, "", key)) {
    sub(/\}.*/, "", key)
    gsub(/\\_/, "_", key)
    if (length(key) == 1 || key in omit || key ~ /^pthread_/ ||
        key ~ /^(cairo|CAIRO|cJSON|utf8proc|UTF8PROC)/) { entry = ""; next }
  }
  printf "%s", entry
  entry = ""
}
END { printf "%s", entry }
