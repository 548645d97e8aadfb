Exercise 1 (easy, 8 points): The vocabulary's hash table (linear probing).
The stub change file: it replaces the reference answer in attention.w with a
stub that compiles, runs and scores zero. make handout applies it.

@x @<Walk the probe sequence of |w| to its slot or to an empty one@>
uint32_t mask = (uint32_t) v->nslot - 1;
uint32_t i = word_hash(w) & mask;
while (v->slot[i] != 0 && strcmp(v->word[v->slot[i] - 1], w) != 0)
  i = (i + 1) & mask;
return &v->slot[i];
@y
/* Exercise 1: your code here. Start at the slot that |word_hash| names and
   walk forward, wrapping around, to the word or to an empty slot. This stub
   ignores the hash and scans the table from slot 0 (slow, and not where the
   book says the words go). */
(void) word_hash;
for (int i = 0; i < v->nslot; i++)
  if (v->slot[i] == 0 || strcmp(v->word[v->slot[i] - 1], w) == 0) return &v->slot[i];
return &v->slot[0];
@z
