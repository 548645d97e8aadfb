Hostile submission: changes code outside exercise 5's section
@x
void relu_forward(float *out, const float *inp, int n)
{
  for (int i = 0; i < n; i++) out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
@y
void relu_forward(float *out, const float *inp, int n)
{
  for (int i = 0; i < n; i++) out[i] = inp[i];
@z
