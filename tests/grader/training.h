/* training.h: the end-to-end test of the hidden suites: the notebook's five
   pairs, trained by the kit with the student's code in it, must come out
   translated.

   The worker builds both vocabularies, trains a model of hidden size 32 for
   30 epochs of Adam (learning rate 0.01, from model_init_random(1)), and
   sends back the losses, the vocabularies and the trained parameters. The
   judge does not take the worker's word for anything: it checks the
   vocabularies against the pairs (words numbered in order of first
   appearance after <SOS> and <EOS>), and translates the five sentences
   itself, in double precision, with the parameters that came back
   (refmodel.h). Only a model that really learned passes. With the reference
   code the loss falls by a factor of about 100 and all five translate. */
#pragma once
#include "judge.h"
#include "refmodel.h"

__attribute__((unused)) static const char *const seed_pairs[5][2] = {
  {"i am a student", "je suis etudiant"}, {"he is a teacher", "il est professeur"},
  {"she is a doctor", "elle est medecin"}, {"we are engineers", "nous sommes ingenieurs"},
  {"they are artists", "ils sont artistes"}};

/* The words of the five sentences of one side, numbered from 2 in order of
   first appearance: fills |w| (NUL-separated), returns how many (with <SOS>,
   <EOS>). */
__attribute__((unused)) static int seed_vocab(int side, char w[64][32])
{
  int n = 2;
  strcpy(w[0], "<SOS>");
  strcpy(w[1], "<EOS>");
  for (int k = 0; k < 5; k++) {
    char buf[128], *save = NULL;
    strcpy(buf, seed_pairs[k][side]);
    for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
      int seen = 0;
      for (int i = 0; i < n; i++) seen |= strcmp(w[i], t) == 0;
      if (!seen) strcpy(w[n++], t);
    }
  }
  return n;
}

__attribute__((unused)) static void check_training(void)
{
  const int H = 32, epochs = 30;
  PBuf q = request("train_seed");
  pb_int(&q, H);
  pb_int(&q, epochs);
  pb_int(&q, 1);
  pb_double(&q, 0.01);
  Reply r = call(&q);
  if (!reply_int(&r, "status")) {
    char *msg = reply_bytes(&r, NULL, "message");
    ck_abort_msg("training could not start; the kit said: %s", msg);
  }
  float *loss = reply_floats(&r, (size_t) epochs, "losses");
  char want[2][64][32];
  int nv[2];
  for (int side = 0; side < 2; side++) {
    nv[side] = seed_vocab(side, want[side]);
    int n = reply_int(&r, "vocabulary size");
    size_t nb;
    char *words = reply_bytes(&r, &nb, "vocabulary");
    if (n != nv[side])
      ck_abort_msg("the %s vocabulary of the five pairs has %d words, expected %d (<SOS>, <EOS> "
        "and each word once)", side ? "French" : "English", n, nv[side]);
    const char *w = words;
    for (int k = 0; k < n; k++) {
      if (w >= words + nb || strcmp(w, want[side][k]) != 0)
        ck_abort_msg("the %s vocabulary's word %d is \"%s\", expected \"%s\" (words are numbered "
          "in order of first appearance)", side ? "French" : "English", k,
          w < words + nb ? w : "(missing)", want[side][k]);
      w += strlen(w) + 1;
    }
    free(words);
  }
  RefModel m = {nv[0], nv[1], H, 10, {0}, 0};
  size_t np = ref_point(&m, NULL);
  float *params = reply_floats(&r, np, "parameters");
  ref_point(&m, params);
  for (int e = 0; e < epochs; e++)
    if (!isfinite(loss[e]))
      ck_abort_msg("training with your code: the loss of epoch %d is %g", e + 1, (double) loss[e]);
  if (!(loss[epochs - 1] < 0.1 * loss[0]))
    ck_abort_msg("training with your code: the average loss went from %.4f (epoch 1) to %.4f "
      "(epoch %d); the reference code brings it below a tenth", (double) loss[0],
      (double) loss[epochs - 1], epochs);
  for (size_t i = 0; i < np; i++)
    if (!isfinite(params[i])) ck_abort_msg("training with your code: parameter %zu is %g", i, (double) params[i]);
  for (int k = 0; k < 5; k++) {
    int src[10], T = 0, out[10], tgt[10], nt = 0;
    char buf[128], *save = NULL;
    strcpy(buf, seed_pairs[k][0]);
    for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
      for (int i = 0; i < nv[0]; i++) if (strcmp(want[0][i], t) == 0) src[T++] = i;
    strcpy(buf, seed_pairs[k][1]);
    for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
      for (int i = 0; i < nv[1]; i++) if (strcmp(want[1][i], t) == 0) tgt[nt++] = i;
    int n = ref_greedy(&m, src, T, out, NULL, NULL);
    int same = n == nt;
    for (int j = 0; same && j < n; j++) same = out[j] == tgt[j];
    if (!same) {
      char got[256] = "";
      for (int j = 0; j < n; j++) {
        strcat(got, j ? " " : "");
        strcat(got, want[1][out[j]]);
      }
      ck_abort_msg("the model trained with your code translates \"%s\" as \"%s\", not \"%s\" "
        "(loss from %.4f to %.4f in %d epochs)", seed_pairs[k][0], got, seed_pairs[k][1],
        (double) loss[0], (double) loss[epochs - 1], epochs);
    }
  }
  free(loss);
  free(params);
  reply_free(&r);
}
