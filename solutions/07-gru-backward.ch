Exercise 7: the reference answer, as a student submits it (written by
tests/grader/grader.py solutions from attention.w; make check grades it).

@x
/* Exercise 7: your code here. Write the four gate gradients and add the
   direct part to |*dh|. This stub writes zeros and adds nothing. */
*dgir = *dgiz = *dgin = *dghn = 0.0f;
@y
float dn = dh_new * (1.0f - c->z);
float dz = dh_new * (h - c->n);
float dan = dn * (1.0f - c->n * c->n);
float dr = dan * c->ghn;
*dgir = dr * c->r * (1.0f - c->r);
*dgiz = dz * c->z * (1.0f - c->z);
*dgin = dan;
*dghn = dan * c->r;
*dh += dh_new * c->z;
@z
