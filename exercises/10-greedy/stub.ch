Exercise 10 (medium, 10 points): Greedy decoding that stops at <EOS>.
The stub change file: it replaces the reference answer in attention.w with a
stub that compiles, runs and scores zero. make handout applies it.

@x @<Decode greedily into |out| until \EOS\ or $L$ words@>
int token = SOS_TOKEN;
for (int t = 0; t < L; t++) {
  DecoderStep s = decoder_step(a, c, t);
  decoder_step_forward(m, token, a->dec_h + (size_t) t * H, a->enc_out, &s);
  if (attn) memcpy(attn + (size_t) t * L, s.w, (size_t) L * sizeof(float));
  linear_forward(a->logits, s.h, m->params.out_w, m->params.out_b, 1, H, V);
  log_softmax_forward(a->logp, a->logits, 1, V);
  token = argmax(a->logp, V);
  if (token == EOS_TOKEN) break;
  out[n++] = token;
}
@y
/* Exercise 10: your code here. This stub decodes no word. */
(void) L;
(void) V;
(void) out;
(void) attn;
@z
