/*257:*/
#line 4929 "attention.w"

#include "attention.h"
#include <stdlib.h> 
#include <string.h> 
/*260:*/
#line 4978 "attention.w"

static void seed_encode(Decoder*d,const int*const*src,const int*len,int n_sent,
float*init_state);
static void seed_step(Decoder*d,int n,const int*sent,const int*prev,
const float*state,float*logp,float*new_state,float*attn);
static void seed_release(Decoder*d);

Decoder*model_decoder(Model*m)
{
SeedDecoder*sd= xcalloc(1,sizeof*sd);
sd->m= m;
sd->d= (Decoder){m->cfg.V_out,m->cfg.L,m->cfg.H,SOS_TOKEN,EOS_TOKEN,
vocab_find(&m->vout,"<UNK>"),seed_encode,seed_step,seed_release};
return&sd->d;
}

static void seed_release(Decoder*d)
{
SeedDecoder*sd= (SeedDecoder*)d;
void*all[]= {sd->enc_out,sd->eh,sd->scores,sd->ec,sd->pre,sd->o,sd->gi,
sd->gh,sd->logits,sd->cache,sd};
for(size_t k= 0;k<sizeof all/sizeof all[0];k++)free(all[k]);
}

/*:260*//*261:*/
#line 5003 "attention.w"

static void seed_encode(Decoder*d,const int*const*src,const int*len,int n_sent,
float*init_state)
{
SeedDecoder*sd= (SeedDecoder*)d;
Model*m= sd->m;
size_t H= (size_t)m->cfg.H,LH= (size_t)m->cfg.L*H;
free(sd->enc_out);
sd->enc_out= xcalloc((size_t)n_sent*LH,sizeof(float));
for(int k= 0;k<n_sent;k++){
encoder_forward(m,src[k],len[k]);
memcpy(sd->enc_out+(size_t)k*LH,m->act.enc_out,LH*sizeof(float));
memcpy(init_state+(size_t)k*H,m->act.enc_h+(size_t)len[k]*H,H*sizeof(float));
}
}

/*:261*//*262:*/
#line 5020 "attention.w"

static void seed_scratch(SeedDecoder*sd,int n)
{
if(n<=sd->cap)return;
size_t H= (size_t)sd->m->cfg.H,L= (size_t)sd->m->cfg.L,k= (size_t)n;
float**rows[]= {&sd->eh,&sd->scores,&sd->ec,&sd->pre,&sd->o,&sd->gi,&sd->gh,
&sd->logits};
size_t width[]= {2*H,L,2*H,H,H,3*H,3*H,(size_t)sd->m->cfg.V_out};
for(size_t j= 0;j<sizeof width/sizeof width[0];j++)
*rows[j]= xrealloc(*rows[j],k*width[j]*sizeof(float));
sd->cache= xrealloc(sd->cache,k*H*sizeof(GruCache));
sd->cap= n;
}

/*:262*//*263:*/
#line 5036 "attention.w"

static void seed_step(Decoder*d,int n,const int*sent,const int*prev,
const float*state,float*logp,float*new_state,float*attn)
{
SeedDecoder*sd= (SeedDecoder*)d;
const Tensors*P= &sd->m->params;
int H= sd->m->cfg.H,L= sd->m->cfg.L,V= sd->m->cfg.V_out;
seed_scratch(sd,n);
for(int j= 0;j<n;j++){
float*eh= sd->eh+(size_t)j*2*H,*ec= sd->ec+(size_t)j*2*H;
embedding_forward(eh,P->dec_emb,&prev[j],1,H);
memcpy(ec,eh,(size_t)H*sizeof(float));
memcpy(eh+H,state+(size_t)j*H,(size_t)H*sizeof(float));
}
linear_forward(sd->scores,sd->eh,P->attn_w,P->attn_b,n,2*H,L);
for(int j= 0;j<n;j++)
attention_forward(attn+(size_t)j*L,sd->ec+(size_t)j*2*H+H,
sd->scores+(size_t)j*L,sd->enc_out+(size_t)sent[j]*L*H,1,L,H);
/*264:*/
#line 5058 "attention.w"

linear_forward(sd->pre,sd->ec,P->comb_w,P->comb_b,n,2*H,H);
relu_forward(sd->o,sd->pre,n*H);
linear_forward(sd->gi,sd->o,P->dec_w_ih,P->dec_b_ih,n,H,3*H);
linear_forward(sd->gh,state,P->dec_w_hh,P->dec_b_hh,n,H,3*H);
gru_cell_forward(new_state,sd->cache,sd->gi,sd->gh,state,n,H);
linear_forward(sd->logits,new_state,P->out_w,P->out_b,n,H,V);
log_softmax_forward(logp,sd->logits,n,V);

/*:264*/
#line 5054 "attention.w"

}

/*:263*//*267:*/
#line 5120 "attention.w"

double length_penalty(const BeamOptions*o,int steps)
{
if(o->penalty==LP_AVG)return(double)steps;
if(o->penalty==LP_WU)return pow((5.0+steps)/6.0,o->alpha);
return 1.0;
}

/*:267*//*270:*/
#line 5158 "attention.w"

typedef struct{
int n;
int*sent,*prev,*len;
double*logprob;
int*word;
float*attn,*state;
}Beam;

/*:270*//*271:*/
#line 5168 "attention.w"

static void beam_alloc(Beam*b,const Decoder*d,int cap,int M)
{
size_t c= (size_t)cap;
b->n= 0;
b->sent= xcalloc(c,sizeof(int));
b->prev= xcalloc(c,sizeof(int));
b->len= xcalloc(c,sizeof(int));
b->logprob= xcalloc(c,sizeof(double));
b->word= xcalloc(c*(size_t)M,sizeof(int));
b->attn= xcalloc(c*(size_t)M*(size_t)d->S,sizeof(float));
b->state= xcalloc(c*(size_t)d->state_floats,sizeof(float));
}

static void beam_free(Beam*b)
{
free(b->sent);free(b->prev);free(b->len);free(b->logprob);
free(b->word);free(b->attn);free(b->state);
}

/*:271*//*272:*/
#line 5190 "attention.w"

typedef struct{
double logprob;
float last;
int hyp,word;
}Candidate;

static int candidate_before(const Candidate*a,const Candidate*b)
{
if(a->logprob!=b->logprob)return a->logprob> b->logprob;
if(a->last!=b->last)return a->last> b->last;
if(a->hyp!=b->hyp)return a->hyp<b->hyp;
return a->word<b->word;
}

/*:272*//*273:*/
#line 5210 "attention.w"

static int best_candidates(const Beam*b,int first,int count,const float*logp,int V,
int k,Candidate*best)
{
int n= 0;
for(int h= first;h<first+count;h++)
for(int v= 0;v<V;v++){
float lp= logp[(size_t)h*V+v];
Candidate c= {b->logprob[h]+(double)lp,lp,h,v};
if(n==k&&!candidate_before(&c,&best[k-1]))continue;
int i= n<k?n++:k-1;
while(i> 0&&candidate_before(&c,&best[i-1]))best[i]= best[i-1],i--;
best[i]= c;
}
return n;
}

/*:273*//*274:*/
#line 5232 "attention.w"

void beam_search(Decoder*d,int n_sent,const float*init,const BeamOptions*o,
Hypothesis*out,int*found)
{
int K= o->beam,M= o->max_length,V= d->V,S= d->S,F= d->state_floats;
int cap= n_sent*K;
/*275:*/
#line 5258 "attention.w"

Beam cur,next;
beam_alloc(&cur,d,cap,M);
beam_alloc(&next,d,cap,M);
float*logp= xcalloc((size_t)cap*(size_t)V,sizeof(float));
float*state= xcalloc((size_t)cap*(size_t)F,sizeof(float));
float*attn= xcalloc((size_t)cap*(size_t)S,sizeof(float));
Candidate*best= xcalloc((size_t)K,sizeof(Candidate));
Hypothesis*done= xcalloc((size_t)cap,sizeof(Hypothesis));
int*n_done= xcalloc((size_t)n_sent,sizeof(int));

/*:275*/
#line 5238 "attention.w"

/*276:*/
#line 5270 "attention.w"

for(int s= 0;s<n_sent;s++){
cur.sent[s]= s;
cur.prev[s]= d->sos;
cur.len[s]= 0;
cur.logprob[s]= 0.0;
memcpy(cur.state+(size_t)s*F,init+(size_t)s*F,(size_t)F*sizeof(float));
}
cur.n= n_sent;

/*:276*/
#line 5239 "attention.w"

for(int t= 0;t<M&&cur.n> 0;t++){
d->step(d,cur.n,cur.sent,cur.prev,cur.state,logp,state,attn);
next.n= 0;
for(int h= 0;h<cur.n;)/*277:*/
#line 5282 "attention.w"

{
int s= cur.sent[h],first= h;
while(h<cur.n&&cur.sent[h]==s)h++;
int nb= best_candidates(&cur,first,h-first,logp,V,K-n_done[s],best);
for(int r= 0;r<nb;r++){
const Candidate*c= &best[r];
if(c->word==d->eos)/*278:*/
#line 5296 "attention.w"

{
int p= c->hyp,L= cur.len[p];
Hypothesis*y= &done[(size_t)s*K+n_done[s]++];
y->len= L;
y->ended= 1;
y->logprob= c->logprob;
y->word= xcalloc((size_t)(L?L:1),sizeof(int));
y->attn= xcalloc((size_t)(L?L:1)*(size_t)S,sizeof(float));
memcpy(y->word,cur.word+(size_t)p*M,(size_t)L*sizeof(int));
memcpy(y->attn,cur.attn+(size_t)p*M*S,(size_t)L*S*sizeof(float));
}

/*:278*/
#line 5289 "attention.w"

else/*279:*/
#line 5310 "attention.w"

{
int p= c->hyp,q= next.n++,L= cur.len[p];
next.sent[q]= s;
next.prev[q]= c->word;
next.len[q]= L+1;
next.logprob[q]= c->logprob;
memcpy(next.word+(size_t)q*M,cur.word+(size_t)p*M,(size_t)L*sizeof(int));
next.word[(size_t)q*M+L]= c->word;
memcpy(next.attn+(size_t)q*M*S,cur.attn+(size_t)p*M*S,
(size_t)L*S*sizeof(float));
memcpy(next.attn+((size_t)q*M+L)*S,attn+(size_t)p*S,(size_t)S*sizeof(float));
memcpy(next.state+(size_t)q*F,state+(size_t)p*F,(size_t)F*sizeof(float));
}

/*:279*/
#line 5290 "attention.w"

}
}

/*:277*/
#line 5244 "attention.w"

Beam swap= cur;cur= next;next= swap;
}
/*280:*/
#line 5326 "attention.w"

for(int h= 0;h<cur.n;h++){
int s= cur.sent[h],L= cur.len[h];
Hypothesis*y= &done[(size_t)s*K+n_done[s]++];
y->len= L;
y->ended= 0;
y->logprob= cur.logprob[h];
y->word= xcalloc((size_t)(L?L:1),sizeof(int));
y->attn= xcalloc((size_t)(L?L:1)*(size_t)S,sizeof(float));
memcpy(y->word,cur.word+(size_t)h*M,(size_t)L*sizeof(int));
memcpy(y->attn,cur.attn+(size_t)h*M*S,(size_t)L*S*sizeof(float));
}

/*:280*/
#line 5247 "attention.w"

/*281:*/
#line 5341 "attention.w"

for(int s= 0;s<n_sent;s++){
Hypothesis*y= done+(size_t)s*K;
for(int i= 0;i<n_done[s];i++){
y[i].score= y[i].logprob/length_penalty(o,y[i].len+y[i].ended);
Hypothesis x= y[i];
int j= i;
while(j> 0&&y[j-1].score<x.score)y[j]= y[j-1],j--;
y[j]= x;
}
found[s]= n_done[s]<o->n_best?n_done[s]:o->n_best;
for(int i= 0;i<n_done[s];i++)
if(i<found[s])out[(size_t)s*o->n_best+i]= y[i];
else free(y[i].word),free(y[i].attn);
}

/*:281*/
#line 5248 "attention.w"

beam_free(&cur);beam_free(&next);
free(logp);free(state);free(attn);free(best);free(done);free(n_done);
}

/*:274*//*282:*/
#line 5358 "attention.w"

void hypotheses_free(Hypothesis*h,int n)
{
for(int k= 0;k<n;k++){
free(h[k].word);
free(h[k].attn);
h[k].word= NULL;
h[k].attn= NULL;
}
}

/*:282*//*284:*/
#line 5380 "attention.w"

char*hypothesis_words(const Decoder*d,const Vocab*vout,const Hypothesis*y,
char*const*src_words,int src_len,int replace_unk)
{
size_t len= 1;
const char**w= xcalloc((size_t)(y->len?y->len:1),sizeof*w);
for(int t= 0;t<y->len;t++){
w[t]= vout->word[y->word[t]];
if(replace_unk&&y->word[t]==d->unk&&src_len> 0){
const float*a= y->attn+(size_t)t*d->S;
w[t]= src_words[argmax(a,src_len<d->S?src_len:d->S)];
}
len+= strlen(w[t])+1;
}
char*s= xcalloc(len,1),*p= s;
for(int t= 0;t<y->len;t++)p+= sprintf(p,t?" %s":"%s",w[t]);
free(w);
return s;
}

/*:284*//*288:*/
#line 5466 "attention.w"

int ngram_count(const int*s,int len,const int*g,int n)
{
int c= 0;
for(int i= 0;i+n<=len;i++)c+= memcmp(s+i,g,(size_t)n*sizeof(int))==0;
return c;
}

void ngram_matches(const int*hyp,int h,const int*const*refs,const int*ref_len,
int n_refs,int n,long*match,long*total)
{
if(h>=n)*total+= h-n+1;
/*289:*/
#line 5485 "attention.w"

for(int i= 0;i+n<=h;i++){
if(ngram_count(hyp,i+n-1,hyp+i,n)> 0)continue;
int c= ngram_count(hyp,h,hyp+i,n),most= 0;
for(int r= 0;r<n_refs;r++){
int cr= ngram_count(refs[r],ref_len[r],hyp+i,n);
if(cr> most)most= cr;
}
*match+= c<most?c:most;
}

/*:289*/
#line 5478 "attention.w"

}

/*:288*//*291:*/
#line 5508 "attention.w"

void bleu_add(BleuStats*b,const int*hyp,int h,const int*const*refs,
const int*ref_len,int n_refs)
{
for(int n= 1;n<=4;n++)
ngram_matches(hyp,h,refs,ref_len,n_refs,n,&b->match[n-1],&b->total[n-1]);
int closest= n_refs> 0?ref_len[0]:0;
for(int r= 1;r<n_refs;r++){
int d= abs(ref_len[r]-h),dc= abs(closest-h);
if(d<dc||(d==dc&&ref_len[r]<closest))closest= ref_len[r];
}
b->hyp_len+= h;
b->ref_len+= closest;
b->sentences++;
}

/*:291*//*292:*/
#line 5525 "attention.w"

BleuScore bleu_score(const BleuStats*b)
{
BleuScore s= {0};
double log_sum= 0.0;
int zero= 0;
for(int n= 0;n<4;n++){
s.p[n]= b->total[n]?100.0*(double)b->match[n]/(double)b->total[n]:0.0;
if(b->match[n]==0)zero= 1;
else log_sum+= log((double)b->match[n]/(double)b->total[n]);
}
s.ratio= b->ref_len?(double)b->hyp_len/(double)b->ref_len:0.0;
s.bp= b->hyp_len>=b->ref_len?1.0
:b->hyp_len> 0?exp(1.0-(double)b->ref_len/(double)b->hyp_len):0.0;
s.bleu= zero?0.0:100.0*s.bp*exp(log_sum/4.0);
return s;
}

/*:292*//*293:*/
#line 5547 "attention.w"

void bleu_format(const BleuStats*b,char*buf,size_t size)
{
BleuScore s= bleu_score(b);
snprintf(buf,size,"BLEU = %.2f %.1f/%.1f/%.1f/%.1f (BP = %.3f ratio = %.3f "
"hyp_len = %ld ref_len = %ld)",s.bleu,s.p[0],s.p[1],s.p[2],s.p[3],s.bp,s.ratio,
b->hyp_len,b->ref_len);
}

/*:293*//*294:*/
#line 5561 "attention.w"

int words_intern(Vocab*v,const char*s,int**ids)
{
int n= 0,cap= 8;
int*w= xcalloc((size_t)cap,sizeof(int));
while(*s){
size_t k= strcspn(s," ");
if(k> 0){
char*word= xcalloc(k+1,1);
memcpy(word,s,k);
if(n==cap)w= xrealloc(w,(size_t)(cap*= 2)*sizeof(int));
w[n++]= vocab_add(v,word);
free(word);
}
s+= k;
if(*s==' ')s++;
}
*ids= w;
return n;
}

/*:294*//*296:*/
#line 5604 "attention.w"

static const PairList*sorted_pairs;
static int by_source(const void*a,const void*b)
{
int i= *(const int*)a,j= *(const int*)b;
int c= strcmp(sorted_pairs->pair[i].src,sorted_pairs->pair[j].src);
return c?c:(i> j)-(i<j);
}

int*pairs_group_sources(const PairList*pl,int*n_groups)
{
int n= pl->n,*order= xcalloc((size_t)n,sizeof(int)),*group= xcalloc((size_t)n,sizeof(int));
int*rep= xcalloc((size_t)n,sizeof(int)),g= 0;
for(int k= 0;k<n;k++)order[k]= k;
sorted_pairs= pl;
qsort(order,(size_t)n,sizeof(int),by_source);
for(int k= 0;k<n;k++)
rep[order[k]]= k> 0&&strcmp(pl->pair[order[k]].src,pl->pair[order[k-1]].src)==0
?rep[order[k-1]]:order[k];
for(int k= 0;k<n;k++)group[k]= rep[k]==k?g++:group[rep[k]];
free(order);
free(rep);
*n_groups= g;
return group;
}

/*:296*//*297:*/
#line 5635 "attention.w"

int pairs_split(const PairList*pl,double test,double valid,uint64_t seed,int*part,
int counts[3][2])
{
int G,*group= pairs_group_sources(pl,&G),*perm= xcalloc((size_t)G,sizeof(int));
int n_test= (int)floor(test*G+0.5),n_valid= (int)floor(valid*G+0.5);
if(n_test+n_valid>=G){
free(group);
free(perm);
return kit_fail("the test and validation shares take all %d English sentences",G);
}
unsigned short xs[3]= {(unsigned short)(0x330e^(seed>>32)),(unsigned short)seed,
(unsigned short)(seed>>16)};
for(int k= 0;k<G;k++)perm[k]= k;
for(int k= G-1;k> 0;k--){
int j= (int)(erand48(xs)*(k+1)),t= perm[k];
perm[k]= perm[j],perm[j]= t;
}
/*298:*/
#line 5660 "attention.w"

int*gpart= xcalloc((size_t)G,sizeof(int));
for(int k= 0;k<G;k++)gpart[perm[k]]= k<n_test?2:k<n_test+n_valid?1:0;
memset(counts,0,3*sizeof counts[0]);
for(int g= 0;g<G;g++)counts[gpart[g]][0]++;
for(int k= 0;k<pl->n;k++)part[k]= gpart[group[k]],counts[part[k]][1]++;
free(gpart);

/*:298*/
#line 5653 "attention.w"

free(group);
free(perm);
return 0;
}

/*:297*/
#line 4933 "attention.w"


/*:257*/
