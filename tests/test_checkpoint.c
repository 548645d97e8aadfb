/* Tests of the checkpoint chapter: checkpoint_save and checkpoint_load.

   A tiny model (V_in=5, V_out=6, H=4, L=3) is saved, checked against the
   safetensors format as attention.w describes it (read here byte by byte,
   not with the kit's loader), loaded back bit for bit, and then corrupted in
   every way the loader promises to catch. Each corrupted file must be
   refused with -1 and a message that names the file and says what is wrong. */
#define _GNU_SOURCE
#include "testutil.h"
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/attention-test-ckpt-XXXXXX";

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
  (void) sb; (void) flag; (void) ftw;
  return remove(p);
}

/* ------------------------------------------------------------------ helpers */

#define V_IN 5
#define V_OUT 6
#define HID 4
#define LEN 3
#define NPARAMS 377 /* 20+48+48+12+12+24+24+3+32+4+48+48+12+12+24+6 */
#define DATA_BYTES (4 * NPARAMS)

static const char *in_words[V_IN] = {"<SOS>", "<EOS>", "a", "b", "c"};
static const char *out_words[V_OUT] = {"<SOS>", "<EOS>", "x", "y", "z", "w"};

/* The notebook's state_dict names and the shapes they have for this model,
   written out here rather than taken from tensor_specs. */
static const struct { const char *name; int rows, cols; } want_tensor[N_TENSORS] = {
  {"encoder.embedding.weight", V_IN, HID},
  {"encoder.gru.weight_ih_l0", 3 * HID, HID},
  {"encoder.gru.weight_hh_l0", 3 * HID, HID},
  {"encoder.gru.bias_ih_l0", 3 * HID, 0},
  {"encoder.gru.bias_hh_l0", 3 * HID, 0},
  {"decoder.embedding.weight", V_OUT, HID},
  {"decoder.attn.weight", LEN, 2 * HID},
  {"decoder.attn.bias", LEN, 0},
  {"decoder.attn_combine.weight", HID, 2 * HID},
  {"decoder.attn_combine.bias", HID, 0},
  {"decoder.gru.weight_ih_l0", 3 * HID, HID},
  {"decoder.gru.weight_hh_l0", 3 * HID, HID},
  {"decoder.gru.bias_ih_l0", 3 * HID, 0},
  {"decoder.gru.bias_hh_l0", 3 * HID, 0},
  {"decoder.out.weight", V_OUT, HID},
  {"decoder.out.bias", V_OUT, 0}};

static void make_model(Model *m, uint64_t seed)
{
  Vocab vin, vout;
  vocab_init(&vin);
  vocab_init(&vout);
  for (int k = 2; k < V_IN; k++) vocab_add(&vin, in_words[k]);
  for (int k = 2; k < V_OUT; k++) vocab_add(&vout, out_words[k]);
  Config c = {V_IN, V_OUT, HID, LEN};
  model_alloc(m, &c, &vin, &vout);
  ck_assert_uint_eq(m->n_params, NPARAMS);
  model_init_random(m, seed);
  /* Values whose bits a sloppy writer or reader would change. */
  uint32_t bits[] = {0x80000000u /* -0 */, 0x00000001u /* smallest subnormal */,
    0x7f800000u /* +inf */, 0xff800000u /* -inf */, 0x7fc00123u /* NaN with payload */,
    0x7f7fffffu /* FLT_MAX */, 0x3f800001u /* 1 + ulp */};
  for (size_t k = 0; k < sizeof bits / sizeof bits[0]; k++)
    memcpy(&m->param_mem[(k * 53) % NPARAMS], &bits[k], 4);
}

static char *path_in(const char *name)
{
  char *p = xcalloc(strlen(tmpdir) + strlen(name) + 2, 1);
  sprintf(p, "%s/%s", tmpdir, name);
  return p;
}

static unsigned char *read_all(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  ck_assert_msg(f != NULL, "cannot open %s: %s", path, strerror(errno));
  ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
  long n = ftell(f);
  ck_assert_int_ge(n, 0);
  rewind(f);
  unsigned char *b = xcalloc((size_t) n + 1, 1);
  ck_assert_uint_eq(fread(b, 1, (size_t) n, f), (size_t) n);
  fclose(f);
  *len = (size_t) n;
  return b;
}

static void write_all(const char *path, const void *b, size_t n)
{
  FILE *f = fopen(path, "wb");
  ck_assert_msg(f != NULL, "cannot create %s: %s", path, strerror(errno));
  ck_assert_uint_eq(fwrite(b, 1, n, f), n);
  ck_assert_int_eq(fclose(f), 0);
}

static uint64_t get_u64le(const unsigned char *b)
{
  uint64_t v = 0;
  for (int k = 0; k < 8; k++) v |= (uint64_t) b[k] << (8 * k);
  return v;
}

static void put_u64le(unsigned char *b, uint64_t v)
{
  for (int k = 0; k < 8; k++) b[k] = (unsigned char) (v >> (8 * k));
}

/* A saved checkpoint in memory: the whole file, the header and the data. */
typedef struct {
  unsigned char *file;
  size_t size, hlen;
  char *header; /* NUL-terminated copy */
  const unsigned char *data;
  size_t dlen;
} Saved;

static Saved save_fresh(const char *name)
{
  Model m;
  make_model(&m, 7);
  char *p = path_in(name);
  ck_assert_msg(checkpoint_save(&m, p) == 0, "checkpoint_save failed: %s", kit_error());
  model_free(&m);
  Saved s;
  s.file = read_all(p, &s.size);
  free(p);
  ck_assert_uint_ge(s.size, 8);
  s.hlen = (size_t) get_u64le(s.file);
  ck_assert_uint_le(s.hlen, s.size - 8);
  s.header = xcalloc(s.hlen + 1, 1);
  memcpy(s.header, s.file + 8, s.hlen);
  s.data = s.file + 8 + s.hlen;
  s.dlen = s.size - 8 - s.hlen;
  return s;
}

static void saved_free(Saved *s)
{
  free(s->file);
  free(s->header);
}

/* Write a checkpoint made of |header| (its length recomputed) and |data|. */
static char *write_ckpt(const char *name, const char *header, size_t hlen,
  const unsigned char *data, size_t dlen)
{
  char *p = path_in(name);
  unsigned char *b = xcalloc(8 + hlen + dlen + 1, 1);
  put_u64le(b, hlen);
  memcpy(b + 8, header, hlen);
  if (dlen) memcpy(b + 8 + hlen, data, dlen);
  write_all(p, b, 8 + hlen + dlen);
  free(b);
  return p;
}

/* Parse the saved header, let the caller change it, and write the result. */
static cJSON *header_json(const Saved *s)
{
  cJSON *root = cJSON_ParseWithLength(s->header, s->hlen);
  ck_assert_msg(root != NULL, "the saved header is not JSON");
  return root;
}

static char *write_json(const char *name, cJSON *root, const Saved *s)
{
  char *json = cJSON_PrintUnformatted(root);
  ck_assert_ptr_nonnull(json);
  char *p = write_ckpt(name, json, strlen(json), s->data, s->dlen);
  free(json);
  cJSON_Delete(root);
  return p;
}

static cJSON *tensor(cJSON *root, const char *name)
{
  cJSON *t = cJSON_GetObjectItemCaseSensitive(root, name);
  ck_assert_msg(t != NULL, "the saved header has no tensor %s", name);
  return t;
}

static void set_offsets(cJSON *root, const char *name, double b, double e)
{
  cJSON *t = tensor(root, name);
  cJSON *a = cJSON_CreateArray();
  cJSON_AddItemToArray(a, cJSON_CreateNumber(b));
  cJSON_AddItemToArray(a, cJSON_CreateNumber(e));
  cJSON_ReplaceItemInObjectCaseSensitive(t, "data_offsets", a);
}

static void set_meta(cJSON *root, const char *key, const char *value)
{
  cJSON *meta = cJSON_GetObjectItemCaseSensitive(root, "__metadata__");
  ck_assert_ptr_nonnull(meta);
  if (value) cJSON_ReplaceItemInObjectCaseSensitive(meta, key, cJSON_CreateString(value));
  else cJSON_DeleteItemFromObjectCaseSensitive(meta, key);
}

/* checkpoint_load must refuse |path| with -1, leave the model untouched,
   and give a message containing the path and every phrase (NULL-ended). */
static void expect_refused(const char *path, ...)
{
  Model m;
  memset(&m, 0, sizeof m);
  int r = checkpoint_load(&m, path);
  ck_assert_msg(r == -1, "checkpoint_load accepted the corrupt file %s (returned %d)", path, r);
  ck_assert_msg(m.param_mem == NULL, "a refused load left a model allocated");
  const char *msg = kit_error();
  ck_assert_msg(strstr(msg, path) != NULL, "the message does not name the file %s: \"%s\"",
    path, msg);
  va_list ap;
  va_start(ap, path);
  for (const char *phrase; (phrase = va_arg(ap, const char *)) != NULL;)
    ck_assert_msg(strstr(msg, phrase) != NULL,
      "expected the message to contain \"%s\", got \"%s\"", phrase, msg);
  va_end(ap);
}

/* The names in |dir|, other than . and .., joined by spaces (sorted). */
static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(char *const *) a, *(char *const *) b);
}

static char *listing(const char *dir)
{
  DIR *d = opendir(dir);
  ck_assert_msg(d != NULL, "cannot open folder %s", dir);
  char *names[64];
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL && n < 64)
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) names[n++] = xstrdup(e->d_name);
  closedir(d);
  qsort(names, (size_t) n, sizeof *names, cmp_str);
  char *s = xcalloc(64 * 300, 1);
  for (int k = 0; k < n; k++) {
    if (k) strcat(s, " ");
    strncat(s, names[k], 256);
    free(names[k]);
  }
  return s;
}

/* ---------------------------------------------------------- format, round trip */

START_TEST(saved_file_follows_the_format)
{
  Model m;
  make_model(&m, 3);
  char *p = path_in("format.safetensors");
  ck_assert_msg(checkpoint_save(&m, p) == 0, "checkpoint_save failed: %s", kit_error());
  size_t size;
  unsigned char *b = read_all(p, &size);
  uint64_t hlen = get_u64le(b);
  ck_assert_uint_eq(size, 8 + hlen + DATA_BYTES);
  ck_assert_uint_eq(hlen % 8, 0); /* padded so that the data is aligned */
  cJSON *root = cJSON_ParseWithLength((const char *) b + 8, (size_t) hlen);
  ck_assert_msg(cJSON_IsObject(root), "the header is not a JSON object");
  /* Only spaces after the JSON text. */
  char *json = cJSON_PrintUnformatted(root);
  const char *h = (const char *) b + 8;
  size_t jl = strlen(json);
  ck_assert_int_eq(h[0], '{');
  size_t last = (size_t) hlen;
  while (last > 0 && h[last - 1] == ' ') last--;
  ck_assert_int_eq(h[last - 1], '}');
  ck_assert_uint_ge(jl, 2);
  free(json);
  /* Metadata. */
  cJSON *meta = cJSON_GetObjectItemCaseSensitive(root, "__metadata__");
  ck_assert_msg(cJSON_IsObject(meta), "no __metadata__ object");
  const char *keys[] = {"hidden_size", "max_length", "attention"};
  const char *vals[] = {"4", "3", "seed"};
  for (int k = 0; k < 3; k++) {
    cJSON *v = cJSON_GetObjectItemCaseSensitive(meta, keys[k]);
    ck_assert_msg(cJSON_IsString(v), "metadata %s is not a string", keys[k]);
    ck_assert_str_eq(v->valuestring, vals[k]);
  }
  const char *vk[] = {"input_vocab", "output_vocab"};
  const char **vw[] = {in_words, out_words};
  int vn[] = {V_IN, V_OUT};
  for (int j = 0; j < 2; j++) {
    cJSON *v = cJSON_GetObjectItemCaseSensitive(meta, vk[j]);
    ck_assert_msg(cJSON_IsString(v), "metadata %s is not a string", vk[j]);
    cJSON *a = cJSON_Parse(v->valuestring);
    ck_assert_msg(cJSON_IsArray(a), "metadata %s is not a JSON array", vk[j]);
    ck_assert_int_eq(cJSON_GetArraySize(a), vn[j]);
    for (int k = 0; k < vn[j]; k++)
      ck_assert_str_eq(cJSON_GetArrayItem(a, k)->valuestring, vw[j][k]);
    cJSON_Delete(a);
  }
  /* Every tensor: F32, its shape, and its numbers little-endian at its offsets. */
  int count = 0;
  for (cJSON *t = root->child; t; t = t->next) count++;
  ck_assert_int_eq(count, N_TENSORS + 1);
  for (int k = 0; k < N_TENSORS; k++) {
    cJSON *t = cJSON_GetObjectItemCaseSensitive(root, want_tensor[k].name);
    ck_assert_msg(t != NULL, "tensor %s missing", want_tensor[k].name);
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(t, "dtype")->valuestring, "F32");
    cJSON *shape = cJSON_GetObjectItemCaseSensitive(t, "shape");
    int nd = want_tensor[k].cols ? 2 : 1;
    ck_assert_int_eq(cJSON_GetArraySize(shape), nd);
    ck_assert_int_eq((int) cJSON_GetArrayItem(shape, 0)->valuedouble, want_tensor[k].rows);
    if (nd == 2)
      ck_assert_int_eq((int) cJSON_GetArrayItem(shape, 1)->valuedouble, want_tensor[k].cols);
    cJSON *offs = cJSON_GetObjectItemCaseSensitive(t, "data_offsets");
    size_t ob = (size_t) cJSON_GetArrayItem(offs, 0)->valuedouble;
    size_t oe = (size_t) cJSON_GetArrayItem(offs, 1)->valuedouble;
    size_t numel = (size_t) want_tensor[k].rows * (size_t) (nd == 2 ? want_tensor[k].cols : 1);
    ck_assert_uint_eq(oe - ob, 4 * numel);
    ck_assert_uint_le(oe, DATA_BYTES);
    const unsigned char *d = b + 8 + hlen + ob;
    for (size_t i = 0; i < numel; i++) {
      uint32_t u = (uint32_t) d[4 * i] | (uint32_t) d[4 * i + 1] << 8
        | (uint32_t) d[4 * i + 2] << 16 | (uint32_t) d[4 * i + 3] << 24, w;
      memcpy(&w, &m.params.t[k][i], 4);
      if (u != w)
        ck_abort_msg("%s[%zu]: file has bits %08x, model has %08x", want_tensor[k].name, i,
          u, w);
    }
  }
  cJSON_Delete(root);
  free(b);
  free(p);
  model_free(&m);
}
END_TEST

START_TEST(round_trip_is_bit_exact)
{
  Model m, l;
  make_model(&m, 11);
  char *p = path_in("round.safetensors");
  ck_assert_msg(checkpoint_save(&m, p) == 0, "checkpoint_save failed: %s", kit_error());
  memset(&l, 0, sizeof l);
  ck_assert_msg(checkpoint_load(&l, p) == 0, "checkpoint_load failed: %s", kit_error());
  ck_assert_int_eq(l.cfg.V_in, V_IN);
  ck_assert_int_eq(l.cfg.V_out, V_OUT);
  ck_assert_int_eq(l.cfg.H, HID);
  ck_assert_int_eq(l.cfg.L, LEN);
  ck_assert_uint_eq(l.n_params, NPARAMS);
  ck_assert_msg(memcmp(l.param_mem, m.param_mem, NPARAMS * sizeof(float)) == 0,
    "the loaded parameters differ from the saved ones");
  for (int k = 0; k < N_TENSORS; k++)
    ck_assert_msg(l.params.t[k] - l.param_mem == m.params.t[k] - m.param_mem,
      "tensor %d is at a different place", k);
  ck_assert_int_eq(l.vin.n, V_IN);
  ck_assert_int_eq(l.vout.n, V_OUT);
  for (int k = 0; k < V_IN; k++) {
    ck_assert_str_eq(l.vin.word[k], in_words[k]);
    ck_assert_int_eq(vocab_find(&l.vin, in_words[k]), k);
  }
  for (int k = 0; k < V_OUT; k++) {
    ck_assert_str_eq(l.vout.word[k], out_words[k]);
    ck_assert_int_eq(vocab_find(&l.vout, out_words[k]), k);
  }
  /* Saving the loaded model gives the same bytes. */
  char *q = path_in("round2.safetensors");
  ck_assert_msg(checkpoint_save(&l, q) == 0, "%s", kit_error());
  size_t n1, n2;
  unsigned char *b1 = read_all(p, &n1), *b2 = read_all(q, &n2);
  ck_assert_uint_eq(n1, n2);
  ck_assert_msg(memcmp(b1, b2, n1) == 0, "saving a loaded model changed the file");
  free(b1);
  free(b2);
  free(p);
  free(q);
  model_free(&m);
  model_free(&l);
}
END_TEST

START_TEST(load_missing_file)
{
  char *p = path_in("no-such.safetensors");
  expect_refused(p, strerror(ENOENT), NULL);
  free(p);
}
END_TEST

/* ----------------------------------------------------------- cut-short files */

START_TEST(corrupt_shorter_than_8_bytes)
{
  Saved s = save_fresh("short-src.st");
  size_t lens[] = {0, 1, 5, 7};
  for (int k = 0; k < 4; k++) {
    char *p = path_in("short.st");
    write_all(p, s.file, lens[k]);
    expect_refused(p, "too few", NULL);
    free(p);
  }
  saved_free(&s);
}
END_TEST

START_TEST(corrupt_truncated_in_header)
{
  Saved s = save_fresh("th-src.st");
  char *p = path_in("trunc-header.st");
  write_all(p, s.file, 8 + s.hlen / 2);
  expect_refused(p, "header", NULL);
  free(p);
  saved_free(&s);
}
END_TEST

START_TEST(corrupt_truncated_in_data)
{
  Saved s = save_fresh("td-src.st");
  ck_assert_uint_eq(s.dlen, DATA_BYTES);
  char *p = path_in("trunc-data.st");
  /* Ten bytes short: the last tensor, decoder.out.bias, no longer fits. */
  write_all(p, s.file, s.size - 10);
  expect_refused(p, "decoder.out.bias", "1498", NULL);
  /* Cut right after the header: no data at all. */
  write_all(p, s.file, 8 + s.hlen);
  expect_refused(p, "data", NULL);
  free(p);
  saved_free(&s);
}
END_TEST

START_TEST(corrupt_header_length_too_large)
{
  Saved s = save_fresh("hl-src.st");
  char *p = path_in("hlen.st");
  uint64_t bad[] = {s.size - 8 + 1, s.size, 1ull << 40, UINT64_MAX};
  for (int k = 0; k < 4; k++) {
    put_u64le(s.file, bad[k]);
    write_all(p, s.file, s.size);
    expect_refused(p, "header", NULL);
  }
  put_u64le(s.file, 0);
  write_all(p, s.file, s.size);
  expect_refused(p, "header", NULL);
  free(p);
  saved_free(&s);
}
END_TEST

START_TEST(corrupt_trailing_bytes)
{
  Saved s = save_fresh("tb-src.st");
  unsigned char *b = xcalloc(s.size + 4, 1);
  memcpy(b, s.file, s.size);
  char *p = path_in("trailing.st");
  write_all(p, b, s.size + 4);
  expect_refused(p, "4 bytes", NULL);
  free(b);
  free(p);
  saved_free(&s);
}
END_TEST

/* ------------------------------------------------------------ bad JSON header */

START_TEST(corrupt_header_not_json)
{
  Saved s = save_fresh("nj-src.st");
  const char *bad[] = {"this is not JSON", "{\"__metadata__\": {\"attention\": ",
    "[1, 2, 3]", "\"a string\"", "        "};
  for (int k = 0; k < 5; k++) {
    char *p = write_ckpt("notjson.st", bad[k], strlen(bad[k]), s.data, s.dlen);
    expect_refused(p, "JSON", NULL);
    free(p);
  }
  /* Same length as the real header, so nothing else changes. */
  char *h = xcalloc(s.hlen + 1, 1);
  memset(h, 'x', s.hlen);
  char *p = write_ckpt("notjson.st", h, s.hlen, s.data, s.dlen);
  expect_refused(p, "JSON", NULL);
  free(p);
  free(h);
  saved_free(&s);
}
END_TEST

START_TEST(corrupt_header_trailing_garbage)
{
  /* The JSON text must fill the header; only spaces may pad it (as the kit's
     own writer pads it). A header of valid JSON followed by other bytes is not
     a safetensors header. */
  Saved s = save_fresh("tg-src.st");
  cJSON *root = header_json(&s);
  char *json = cJSON_PrintUnformatted(root);
  cJSON_Delete(root);
  size_t n = strlen(json);
  char *h = xcalloc(n + 16, 1);
  memcpy(h, json, n);
  memcpy(h + n, "} garbage", 9);
  char *p = write_ckpt("garbage.st", h, n + 9, s.data, s.dlen);
  expect_refused(p, "JSON", NULL);
  free(p);
  free(h);
  free(json);
  saved_free(&s);
}
END_TEST

/* ---------------------------------------------------------------- bad tensors */

START_TEST(corrupt_dtype_f64)
{
  Saved s = save_fresh("dt-src.st");
  char *at = strstr(s.header, "\"F32\"");
  ck_assert_ptr_nonnull(at);
  memcpy(at, "\"F64\"", 5);
  /* The first tensor after the metadata is the encoder's embedding. */
  ck_assert_msg(strstr(s.header, "encoder.embedding.weight") < at, "unexpected header order");
  char *p = write_ckpt("f64.st", s.header, s.hlen, s.data, s.dlen);
  expect_refused(p, "F64", "F32", NULL);
  free(p);
  saved_free(&s);
}
END_TEST

START_TEST(corrupt_wrong_shape)
{
  Saved s = save_fresh("sh-src.st");
  /* Transposed: the same number of elements, the wrong shape. */
  cJSON *root = header_json(&s);
  cJSON *shape = cJSON_CreateArray();
  cJSON_AddItemToArray(shape, cJSON_CreateNumber(2 * HID));
  cJSON_AddItemToArray(shape, cJSON_CreateNumber(LEN));
  cJSON_ReplaceItemInObjectCaseSensitive(tensor(root, "decoder.attn.weight"), "shape", shape);
  char *p = write_json("shape.st", root, &s);
  expect_refused(p, "decoder.attn.weight", "[8,3]", "[3,8]", NULL);
  free(p);
  /* A vector given two dimensions. */
  root = header_json(&s);
  shape = cJSON_CreateArray();
  cJSON_AddItemToArray(shape, cJSON_CreateNumber(V_OUT));
  cJSON_AddItemToArray(shape, cJSON_CreateNumber(1));
  cJSON_ReplaceItemInObjectCaseSensitive(tensor(root, "decoder.out.bias"), "shape", shape);
  p = write_json("shape.st", root, &s);
  expect_refused(p, "decoder.out.bias", "shape", NULL);
  free(p);
  /* A shape that is not an array. */
  root = header_json(&s);
  cJSON_ReplaceItemInObjectCaseSensitive(tensor(root, "encoder.gru.bias_ih_l0"), "shape",
    cJSON_CreateString("12"));
  p = write_json("shape.st", root, &s);
  expect_refused(p, "encoder.gru.bias_ih_l0", "shape", NULL);
  free(p);
  saved_free(&s);
}
END_TEST

START_TEST(corrupt_offsets_beyond_data)
{
  Saved s = save_fresh("ob-src.st");
  cJSON *root = header_json(&s);
  set_offsets(root, "decoder.out.bias", DATA_BYTES - 8, DATA_BYTES + 16);
  char *p = write_json("beyond.st", root, &s);
  expect_refused(p, "decoder.out.bias", "offsets", NULL);
  free(p);
  root = header_json(&s);
  set_offsets(root, "decoder.out.bias", 1e12, 1e12 + 24);
  p = write_json("beyond.st", root, &s);
  expect_refused(p, "decoder.out.bias", "offsets", NULL);
  free(p);
  /* Negative start, right size. */
  root = header_json(&s);
  set_offsets(root, "encoder.embedding.weight", -80, 0);
  p = write_json("beyond.st", root, &s);
  expect_refused(p, "encoder.embedding.weight", "offsets", NULL);
  free(p);
  /* Inside the data but the wrong size. */
  root = header_json(&s);
  set_offsets(root, "encoder.embedding.weight", 0, 76);
  p = write_json("beyond.st", root, &s);
  expect_refused(p, "encoder.embedding.weight", "offsets", NULL);
  free(p);
  saved_free(&s);
}
END_TEST

START_TEST(corrupt_overlapping_tensors)
{
  /* Two vectors of 12 floats: give the second the place of the first. */
  Saved s = save_fresh("ov-src.st");
  cJSON *root = header_json(&s);
  cJSON *o = cJSON_GetObjectItemCaseSensitive(tensor(root, "encoder.gru.bias_ih_l0"),
    "data_offsets");
  double b = cJSON_GetArrayItem(o, 0)->valuedouble, e = cJSON_GetArrayItem(o, 1)->valuedouble;
  set_offsets(root, "encoder.gru.bias_hh_l0", b, e);
  char *p = write_json("overlap.st", root, &s);
  expect_refused(p, "encoder.gru.bias_hh_l0", "previous tensor", NULL);
  free(p);
  /* Half overlap: shift a tensor by 4 bytes into its predecessor. */
  root = header_json(&s);
  o = cJSON_GetObjectItemCaseSensitive(tensor(root, "decoder.out.bias"), "data_offsets");
  b = cJSON_GetArrayItem(o, 0)->valuedouble;
  e = cJSON_GetArrayItem(o, 1)->valuedouble;
  set_offsets(root, "decoder.out.bias", b - 4, e - 4);
  p = write_json("overlap.st", root, &s);
  expect_refused(p, "decoder.out.bias", NULL);
  free(p);
  saved_free(&s);
}
END_TEST

START_TEST(corrupt_missing_tensor)
{
  Saved s = save_fresh("mt-src.st");
  cJSON *root = header_json(&s);
  cJSON_DeleteItemFromObjectCaseSensitive(root, "decoder.attn_combine.bias");
  char *p = write_json("missing.st", root, &s);
  expect_refused(p, "decoder.attn_combine.bias", "missing", NULL);
  free(p);
  saved_free(&s);
}
END_TEST

START_TEST(corrupt_extra_tensor)
{
  Saved s = save_fresh("et-src.st");
  cJSON *root = header_json(&s);
  cJSON *t = cJSON_AddObjectToObject(root, "decoder.extra.weight");
  cJSON_AddStringToObject(t, "dtype", "F32");
  cJSON *shape = cJSON_AddArrayToObject(t, "shape");
  cJSON_AddItemToArray(shape, cJSON_CreateNumber(1));
  cJSON *o = cJSON_AddArrayToObject(t, "data_offsets");
  cJSON_AddItemToArray(o, cJSON_CreateNumber(DATA_BYTES));
  cJSON_AddItemToArray(o, cJSON_CreateNumber(DATA_BYTES + 4));
  unsigned char *data = xcalloc(s.dlen + 4, 1);
  memcpy(data, s.data, s.dlen);
  Saved s2 = s;
  s2.data = data;
  s2.dlen = s.dlen + 4;
  char *p = write_json("extra.st", root, &s2);
  expect_refused(p, "decoder.extra.weight", "unexpected", NULL);
  free(p);
  free(data);
  /* A misspelt name. */
  root = header_json(&s);
  cJSON *x = cJSON_DetachItemFromObjectCaseSensitive(root, "decoder.out.weight");
  cJSON_AddItemToObject(root, "decoder.out.weights", x);
  p = write_json("extra.st", root, &s);
  expect_refused(p, "decoder.out.weights", NULL);
  free(p);
  saved_free(&s);
}
END_TEST

START_TEST(corrupt_duplicate_tensor)
{
  Saved s = save_fresh("dup-src.st");
  cJSON *root = header_json(&s);
  cJSON *copy = cJSON_Duplicate(tensor(root, "decoder.attn.bias"), 1);
  cJSON_AddItemToObject(root, "decoder.attn.bias", copy);
  char *p = write_json("dup.st", root, &s);
  expect_refused(p, "decoder.attn.bias", "twice", NULL);
  free(p);
  saved_free(&s);
}
END_TEST

/* -------------------------------------------------------------- bad metadata */

START_TEST(corrupt_missing_metadata)
{
  Saved s = save_fresh("mm-src.st");
  cJSON *root = header_json(&s);
  cJSON_DeleteItemFromObjectCaseSensitive(root, "__metadata__");
  char *p = write_json("nometa.st", root, &s);
  expect_refused(p, "__metadata__", NULL);
  free(p);
  /* __metadata__ that is not an object. */
  root = header_json(&s);
  cJSON_ReplaceItemInObjectCaseSensitive(root, "__metadata__", cJSON_CreateString("seed"));
  p = write_json("nometa.st", root, &s);
  expect_refused(p, "__metadata__", NULL);
  free(p);
  saved_free(&s);
}
END_TEST

START_TEST(corrupt_missing_metadata_key)
{
  Saved s = save_fresh("mk-src.st");
  const char *keys[] = {"max_length", "hidden_size", "input_vocab", "output_vocab", "attention"};
  for (int k = 0; k < 5; k++) {
    cJSON *root = header_json(&s);
    set_meta(root, keys[k], NULL);
    char *p = write_json("nokey.st", root, &s);
    char quoted[64];
    snprintf(quoted, sizeof quoted, "\"%s\"", keys[k]);
    expect_refused(p, quoted, NULL);
    free(p);
  }
  /* A number where a string is required. */
  cJSON *root = header_json(&s);
  cJSON *meta = cJSON_GetObjectItemCaseSensitive(root, "__metadata__");
  cJSON_ReplaceItemInObjectCaseSensitive(meta, "hidden_size", cJSON_CreateNumber(HID));
  char *p = write_json("nokey.st", root, &s);
  expect_refused(p, "hidden_size", NULL);
  free(p);
  saved_free(&s);
}
END_TEST

START_TEST(corrupt_hidden_size_not_a_number)
{
  Saved s = save_fresh("hs-src.st");
  static const char *const bad[] = {"four", "4x", "", "0x4", "-4", "0", "4.0",
    "99999999999999999999"};
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    cJSON *root = header_json(&s);
    set_meta(root, "hidden_size", bad[k]);
    char *p = write_json("hidden.st", root, &s);
    char quoted[64] = "\"";
    strncat(quoted, bad[k], 40);
    strcat(quoted, "\"");
    expect_refused(p, "hidden_size", quoted, NULL);
    free(p);
  }
  /* A number, but not the one the shapes say. */
  cJSON *root = header_json(&s);
  set_meta(root, "hidden_size", "5");
  char *p = write_json("hidden.st", root, &s);
  expect_refused(p, "shape", NULL);
  free(p);
  root = header_json(&s);
  set_meta(root, "max_length", "three");
  p = write_json("hidden.st", root, &s);
  expect_refused(p, "max_length", "\"three\"", NULL);
  free(p);
  saved_free(&s);
}
END_TEST

START_TEST(corrupt_unknown_attention)
{
  Saved s = save_fresh("ua-src.st");
  cJSON *root = header_json(&s);
  set_meta(root, "attention", "transformer");
  char *p = write_json("attn.st", root, &s);
  expect_refused(p, "attention", "\"transformer\"", "not a kind", NULL);
  free(p);
  saved_free(&s);
}
END_TEST

/* A checkpoint whose kind says bahdanau but whose tensors are the notebook's:
   refused by the loader of Part II, naming the tensor and the kind; and a
   Part II kind is refused where a seed model is needed. */
START_TEST(corrupt_kind_and_tensors_disagree)
{
  Saved s = save_fresh("kd-src.st");
  cJSON *root = header_json(&s);
  set_meta(root, "attention", "bahdanau");
  char *p = write_json("kind.st", root, &s);
  BModel bm;
  memset(&bm, 0, sizeof bm);
  int r = checkpoint_load_any(p, NULL, &bm, &cpu_backend, 4);
  ck_assert_msg(r == -1, "a bahdanau checkpoint with seed tensors was accepted (%d)", r);
  ck_assert_msg(bm.p == NULL, "a refused load left a model allocated");
  ck_assert_msg(strstr(kit_error(), "bahdanau attention") != NULL && strstr(kit_error(), p),
    "message: %s", kit_error());
  expect_refused(p, "bahdanau", "seed", NULL);
  free(p);
  saved_free(&s);
}
END_TEST

START_TEST(corrupt_vocab_not_an_array)
{
  Saved s = save_fresh("va-src.st");
  const char *bad[] = {"{\"<SOS>\": 0, \"<EOS>\": 1}", "<SOS> <EOS> a b c", "",
    "[\"<SOS>\"]", "\"<SOS>\""};
  for (int k = 0; k < 5; k++) {
    cJSON *root = header_json(&s);
    set_meta(root, "input_vocab", bad[k]);
    char *p = write_json("vocab.st", root, &s);
    expect_refused(p, "\"input_vocab\"", "array", NULL);
    free(p);
  }
  /* An array, but of numbers; and one with an empty word. */
  const char *bad2[] = {"[0,1,2,3,4]", "[\"<SOS>\",\"<EOS>\",\"a\",\"\",\"c\"]"};
  for (int k = 0; k < 2; k++) {
    cJSON *root = header_json(&s);
    set_meta(root, "input_vocab", bad2[k]);
    char *p = write_json("vocab.st", root, &s);
    expect_refused(p, "\"input_vocab\"", NULL);
    free(p);
  }
  saved_free(&s);
}
END_TEST

START_TEST(corrupt_vocab_repeated_word)
{
  Saved s = save_fresh("vr-src.st");
  cJSON *root = header_json(&s);
  set_meta(root, "output_vocab", "[\"<SOS>\",\"<EOS>\",\"x\",\"y\",\"x\",\"w\"]");
  char *p = write_json("repeat.st", root, &s);
  expect_refused(p, "\"output_vocab\"", "\"x\"", "repeat", NULL);
  free(p);
  /* <SOS> again later on. */
  root = header_json(&s);
  set_meta(root, "output_vocab", "[\"<SOS>\",\"<EOS>\",\"x\",\"<SOS>\",\"z\",\"w\"]");
  p = write_json("repeat.st", root, &s);
  expect_refused(p, "\"output_vocab\"", "\"<SOS>\"", NULL);
  free(p);
  saved_free(&s);
}
END_TEST

START_TEST(corrupt_vocab_special_words)
{
  Saved s = save_fresh("vs-src.st");
  const char *bad[] = {"[\"<EOS>\",\"<SOS>\",\"a\",\"b\",\"c\"]",
    "[\"a\",\"b\",\"<SOS>\",\"<EOS>\",\"c\"]", "[\"<SOS>\",\"a\",\"<EOS>\",\"b\",\"c\"]"};
  for (int k = 0; k < 3; k++) {
    cJSON *root = header_json(&s);
    set_meta(root, "input_vocab", bad[k]);
    char *p = write_json("special.st", root, &s);
    expect_refused(p, "\"input_vocab\"", "special", NULL);
    free(p);
  }
  saved_free(&s);
}
END_TEST

/* -------------------------------------------------------------------- saving */

START_TEST(save_into_missing_folder)
{
  char *dir = path_in("save-missing");
  ck_assert_int_eq(mkdir(dir, 0755), 0);
  char *p = xcalloc(strlen(dir) + 64, 1);
  sprintf(p, "%s/no-such-folder/model.safetensors", dir);
  Model m;
  make_model(&m, 5);
  ck_assert_int_eq(checkpoint_save(&m, p), -1);
  ck_assert_msg(strstr(kit_error(), p) != NULL, "the message does not name %s: \"%s\"", p,
    kit_error());
  ck_assert_msg(strstr(kit_error(), strerror(ENOENT)) != NULL, "no reason in \"%s\"",
    kit_error());
  struct stat st;
  ck_assert_int_ne(stat(p, &st), 0);
  char *ls = listing(dir);
  ck_assert_msg(strcmp(ls, "") == 0, "files left behind: %s", ls);
  free(ls);
  model_free(&m);
  free(p);
  free(dir);
}
END_TEST

START_TEST(save_onto_a_folder_fails_cleanly)
{
  char *dir = path_in("save-onto-dir");
  ck_assert_int_eq(mkdir(dir, 0755), 0);
  char *target = xcalloc(strlen(dir) + 64, 1);
  sprintf(target, "%s/model.safetensors", dir);
  ck_assert_int_eq(mkdir(target, 0755), 0); /* a folder where the file should go */
  Model m;
  make_model(&m, 5);
  ck_assert_int_eq(checkpoint_save(&m, target), -1);
  ck_assert_msg(strstr(kit_error(), target) != NULL, "the message does not name %s: \"%s\"",
    target, kit_error());
  char *ls = listing(dir);
  ck_assert_msg(strcmp(ls, "model.safetensors") == 0, "files left behind: %s", ls);
  free(ls);
  model_free(&m);
  free(target);
  free(dir);
}
END_TEST

START_TEST(save_replaces_atomically)
{
  char *dir = path_in("save-replace");
  ck_assert_int_eq(mkdir(dir, 0755), 0);
  char *p = xcalloc(strlen(dir) + 64, 1), *old = xcalloc(strlen(dir) + 64, 1);
  sprintf(p, "%s/model.safetensors", dir);
  sprintf(old, "%s/old-link", dir);
  Model a, b, l;
  make_model(&a, 1);
  make_model(&b, 2);
  ck_assert_msg(memcmp(a.param_mem, b.param_mem, NPARAMS * 4) != 0, "seeds 1 and 2 agree");
  ck_assert_msg(checkpoint_save(&a, p) == 0, "%s", kit_error());
  size_t na;
  unsigned char *bytes_a = read_all(p, &na);
  /* A second name for the old file: an in-place rewrite would change it too. */
  ck_assert_int_eq(link(p, old), 0);
  ck_assert_msg(checkpoint_save(&b, p) == 0, "%s", kit_error());
  memset(&l, 0, sizeof l);
  ck_assert_msg(checkpoint_load(&l, p) == 0, "%s", kit_error());
  ck_assert_msg(memcmp(l.param_mem, b.param_mem, NPARAMS * 4) == 0,
    "the file does not hold the second model");
  size_t no;
  unsigned char *bytes_old = read_all(old, &no);
  ck_assert_uint_eq(no, na);
  ck_assert_msg(memcmp(bytes_old, bytes_a, na) == 0,
    "the old file was rewritten in place instead of being replaced");
  char *ls = listing(dir);
  ck_assert_msg(strcmp(ls, "model.safetensors old-link") == 0,
    "unexpected files in the folder: %s", ls);
  struct stat st;
  ck_assert_int_eq(stat(p, &st), 0);
  ck_assert_msg((st.st_mode & 0777) == 0644, "mode %o, expected 644", st.st_mode & 0777);
  free(ls);
  free(bytes_a);
  free(bytes_old);
  model_free(&a);
  model_free(&b);
  model_free(&l);
  free(p);
  free(old);
  free(dir);
}
END_TEST

START_TEST(save_refuses_a_target_that_is_not_a_regular_file)
{
  /* A save renames a new file over its target: a fifo or a symbolic link
     there would be replaced by a regular file (a device too, as root). */
  char *dir = path_in("save-onto-special");
  ck_assert_int_eq(mkdir(dir, 0755), 0);
  char *fifo = xcalloc(strlen(dir) + 64, 1), *lnk = xcalloc(strlen(dir) + 64, 1);
  sprintf(fifo, "%s/fifo", dir);
  sprintf(lnk, "%s/link", dir);
  ck_assert_int_eq(mkfifo(fifo, 0644), 0);
  ck_assert_int_eq(symlink("elsewhere", lnk), 0);
  Model m;
  make_model(&m, 5);
  const char *targets[] = {fifo, lnk};
  for (int k = 0; k < 2; k++) {
    ck_assert_int_eq(checkpoint_save(&m, targets[k]), -1);
    ck_assert_msg(strstr(kit_error(), targets[k]) && strstr(kit_error(), "not a regular file"),
      "the message does not say why: \"%s\"", kit_error());
  }
  struct stat st;
  ck_assert(lstat(fifo, &st) == 0 && S_ISFIFO(st.st_mode));
  ck_assert(lstat(lnk, &st) == 0 && S_ISLNK(st.st_mode));
  char *ls = listing(dir);
  ck_assert_msg(strcmp(ls, "fifo link") == 0, "files left behind: %s", ls);
  free(ls);
  model_free(&m);
  free(fifo), free(lnk), free(dir);
}
END_TEST

static Suite *checkpoint_suite(void)
{
  Suite *s = suite_create("checkpoint");
  TCase *tc = tcase_create("round_trip");
  tcase_add_test(tc, saved_file_follows_the_format);
  tcase_add_test(tc, round_trip_is_bit_exact);
  tcase_add_test(tc, load_missing_file);
  suite_add_tcase(s, tc);

  tc = tcase_create("truncated");
  tcase_add_test(tc, corrupt_shorter_than_8_bytes);
  tcase_add_test(tc, corrupt_truncated_in_header);
  tcase_add_test(tc, corrupt_truncated_in_data);
  tcase_add_test(tc, corrupt_header_length_too_large);
  tcase_add_test(tc, corrupt_trailing_bytes);
  suite_add_tcase(s, tc);

  tc = tcase_create("header_json");
  tcase_add_test(tc, corrupt_header_not_json);
  tcase_add_test(tc, corrupt_header_trailing_garbage);
  suite_add_tcase(s, tc);

  tc = tcase_create("tensors");
  tcase_add_test(tc, corrupt_dtype_f64);
  tcase_add_test(tc, corrupt_wrong_shape);
  tcase_add_test(tc, corrupt_offsets_beyond_data);
  tcase_add_test(tc, corrupt_overlapping_tensors);
  tcase_add_test(tc, corrupt_missing_tensor);
  tcase_add_test(tc, corrupt_extra_tensor);
  tcase_add_test(tc, corrupt_duplicate_tensor);
  suite_add_tcase(s, tc);

  tc = tcase_create("metadata");
  tcase_add_test(tc, corrupt_missing_metadata);
  tcase_add_test(tc, corrupt_missing_metadata_key);
  tcase_add_test(tc, corrupt_hidden_size_not_a_number);
  tcase_add_test(tc, corrupt_unknown_attention);
  tcase_add_test(tc, corrupt_kind_and_tensors_disagree);
  tcase_add_test(tc, corrupt_vocab_not_an_array);
  tcase_add_test(tc, corrupt_vocab_repeated_word);
  tcase_add_test(tc, corrupt_vocab_special_words);
  suite_add_tcase(s, tc);

  tc = tcase_create("save");
  tcase_add_test(tc, save_into_missing_folder);
  tcase_add_test(tc, save_onto_a_folder_fails_cleanly);
  tcase_add_test(tc, save_replaces_atomically);
  tcase_add_test(tc, save_refuses_a_target_that_is_not_a_regular_file);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  if (!mkdtemp(tmpdir)) {
    fprintf(stderr, "test_checkpoint: cannot create a temporary folder: %s\n",
      strerror(errno));
    return 1;
  }
  int status = run_suite(checkpoint_suite());
  nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
  return status;
}
