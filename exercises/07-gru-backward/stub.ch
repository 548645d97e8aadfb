Exercise 7 (hard, 12 points): The backward step of a GRU unit.
The stub change file: it replaces the reference answer in attention.w with a
stub that compiles, runs and scores zero. make handout applies it.

@x @<Compute the gradients of one GRU unit's gates from $\bar h'$@>
float dn = dh_new * (1.0f - c->z);
float dz = dh_new * (h - c->n);
float dan = dn * (1.0f - c->n * c->n);
float dr = dan * c->ghn;
*dgir = dr * c->r * (1.0f - c->r);
*dgiz = dz * c->z * (1.0f - c->z);
*dgin = dan;
*dghn = dan * c->r;
*dh += dh_new * c->z;
@y
/* Exercise 7: your code here. Write the four gate gradients and add the
   direct part to |*dh|. This stub writes zeros and adds nothing. */
*dgir = *dgiz = *dgin = *dghn = 0.0f;
@z
