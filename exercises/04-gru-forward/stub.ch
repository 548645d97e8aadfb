Exercise 4 (easy, 8 points): One step of a GRU unit.
The stub change file: it replaces the reference answer in attention.w with a
stub that compiles, runs and scores zero. make handout applies it.

@x @<Compute the gates |r|, |z|, |n| of one unit and return its new state@>
c->r = sigmoidf_(gir + ghr);
c->z = sigmoidf_(giz + ghz);
c->ghn = ghn;
c->n = tanhf(gin + c->r * ghn);
return (1.0f - c->z) * c->n + c->z * h;
@y
/* Exercise 4: your code here. Set |c->r|, |c->z|, |c->n| and |c->ghn| and
   return $h'$. This stub keeps zeros and returns a zero state. */
c->r = c->z = c->n = c->ghn = 0.0f;
return 0.0f;
@z
