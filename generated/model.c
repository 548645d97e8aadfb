/*49:*/
#line 1206 "attention.w"

#include "attention.h"
#include <stdlib.h> 
#include <string.h> 
#include <sys/mman.h> 
#include <pthread.h> 
#include <sched.h> 
#include <stdatomic.h> 
/*56:*/
#line 1326 "attention.w"

static double uniform(unsigned short xs[3],double a)
{
return a*(2.0*erand48(xs)-1.0);
}

double random_normal(unsigned short xs[3])
{
double u= 1.0-erand48(xs),v= erand48(xs);
return sqrt(-2.0*log(u))*cos(2.0*M_PI*v);
}

/*:56*//*85:*/
#line 1804 "attention.w"

static void*calloc_lines(size_t n,size_t size)
{
size_t bytes= (n*size+63)/64*64;
void*p= NULL;
if(posix_memalign(&p,64,bytes?bytes:64)!=0)return xcalloc(n,size);
memset(p,0,bytes);
return p;
}

/*:85*//*137:*/
#line 2727 "attention.w"

static void adam_tensor(Model*m,int k,size_t n,const AdamConstants*c)
{
size_t at= (size_t)(m->params.t[k]-m->param_mem);
adam_apply(m->param_mem+at,m->grad_mem+at,m->m_mem+at,m->v_mem+at,n,c);
memset(m->grad_mem+at,0,n*sizeof(float));
}

/*:137*//*140:*/
#line 2805 "attention.w"

static void update_rows(Model*m,const Deferred*d,const AdamConstants*c,float*g)
{
size_t at= (size_t)(m->params.t[d->weight]-m->param_mem);
int rows= ROW_BLOCK/d->C> 0?ROW_BLOCK/d->C:1;
for(int o= 0;o<d->OC;o+= rows){
int r= d->OC-o<rows?d->OC-o:rows;
size_t n= (size_t)r*(size_t)d->C;
outer_products(g,d->dout+o,d->OC,d->inp,d->B,d->C,r,0);
adam_apply(m->param_mem+at,g,m->m_mem+at,m->v_mem+at,n,c);
at+= n;
}
}

/*:140*//*141:*/
#line 2824 "attention.w"

static void update_half(Model*m,const Deferred*d,int nd,int first,int last,
const AdamConstants*c,float*rows)
{
int deferred[N_TENSORS]= {0};
for(int k= 0;k<nd;k++){
update_rows(m,&d[k],c,rows);
deferred[d[k].weight]= 1;
}
TensorSpec s[N_TENSORS];
tensor_specs(&m->cfg,s);
for(int k= first;k<=last;k++)
if(!deferred[k])adam_tensor(m,k,spec_numel(&s[k]),c);
}

/*:141*//*364:*/
#line 7033 "attention.w"

struct Pipeline{
_Atomic long job __attribute__((aligned(64)));
_Atomic long encoded __attribute__((aligned(64)));
_Atomic long decoded __attribute__((aligned(64)));
_Atomic long finished __attribute__((aligned(64)));
_Atomic int quit;
Model*m;
const Example*ex;
int n;
long steps;
double lr;
long t0;
pthread_t thread;
pthread_mutex_t lock;
pthread_cond_t wake;
};

/*:364*//*365:*/
#line 7057 "attention.w"

static inline void spin_pause(int*spins)
{
#if defined(__x86_64__) || defined(__i386__)
__builtin_ia32_pause();
#endif
#line 7063 "attention.w"
 if(++*spins> 4096)sched_yield();
}

static void wait_until(_Atomic long*counter,long value)
{
int spins= 0;
while(atomic_load_explicit(counter,memory_order_acquire)<value)spin_pause(&spins);
}

/*:365*//*366:*/
#line 7076 "attention.w"

static void encoder_pairs(struct Pipeline*p)
{
Model*m= p->m;
for(long k= 0;k<p->steps;k++){
const Example*e= &p->ex[k%p->n];
Deferred d[N_ENC_DEFERRED];
encoder_forward(m,e->src,e->src_len);
atomic_store_explicit(&p->encoded,k+1,memory_order_release);
wait_until(&p->decoded,k+1);
encoder_backward(m,e,d);
AdamConstants c= adam_constants(p->lr,0.9,0.999,1e-8,p->t0+k+1);
update_half(m,d,N_ENC_DEFERRED,ENC_EMB,ENC_B_HH,&c,m->act.d_enc_rows);
}
}

/*:366*//*367:*/
#line 7094 "attention.w"

static void*encoder_thread(void*arg)
{
struct Pipeline*p= arg;
for(long seen= 0;;){
int spins= 0;
while(atomic_load_explicit(&p->job,memory_order_acquire)==seen&&spins<20000)
spin_pause(&spins);
pthread_mutex_lock(&p->lock);
while(atomic_load(&p->job)==seen)pthread_cond_wait(&p->wake,&p->lock);
pthread_mutex_unlock(&p->lock);
seen= atomic_load_explicit(&p->job,memory_order_acquire);
if(atomic_load(&p->quit))return NULL;
encoder_pairs(p);
atomic_store_explicit(&p->finished,seen,memory_order_release);
}
}

/*:367*//*368:*/
#line 7115 "attention.w"

static struct Pipeline*pipeline_start(void)
{
struct Pipeline*p= NULL;
if(posix_memalign((void**)&p,64,sizeof*p)!=0)return NULL;
memset(p,0,sizeof*p);
pthread_mutex_init(&p->lock,NULL);
pthread_cond_init(&p->wake,NULL);
if(pthread_create(&p->thread,NULL,encoder_thread,p)!=0){
pthread_mutex_destroy(&p->lock);
pthread_cond_destroy(&p->wake);
free(p);
return NULL;
}
return p;
}

/*:368*//*369:*/
#line 7136 "attention.w"

static void post_job(struct Pipeline*p)
{
pthread_mutex_lock(&p->lock);
atomic_fetch_add_explicit(&p->job,1,memory_order_release);
pthread_cond_signal(&p->wake);
pthread_mutex_unlock(&p->lock);
}

void pipeline_stop(struct Pipeline*p)
{
if(!p)return;
atomic_store(&p->quit,1);
post_job(p);
pthread_join(p->thread,NULL);
pthread_mutex_destroy(&p->lock);
pthread_cond_destroy(&p->wake);
free(p);
}

/*:369*//*378:*/
#line 7278 "attention.w"

static float*alloc_on_huge_pages(size_t n)
{
size_t bytes= n*sizeof(float),page= (size_t)2<<20;
void*p= NULL;
if(bytes<page)return xcalloc(n,sizeof(float));
bytes= (bytes+page-1)/page*page;
if(posix_memalign(&p,page,bytes)!=0)return xcalloc(n,sizeof(float));
#ifdef MADV_HUGEPAGE
madvise(p,bytes,MADV_HUGEPAGE);
#endif
#line 7289 "attention.w"
 memset(p,0,bytes);
return p;
}

/*:378*/
#line 1214 "attention.w"

/*50:*/
#line 1219 "attention.w"

void tensor_specs(const Config*c,TensorSpec s[N_TENSORS])
{
int H= c->H;
s[ENC_EMB]= (TensorSpec){"encoder.embedding.weight",c->V_in,H};
s[ENC_W_IH]= (TensorSpec){"encoder.gru.weight_ih_l0",3*H,H};
s[ENC_W_HH]= (TensorSpec){"encoder.gru.weight_hh_l0",3*H,H};
s[ENC_B_IH]= (TensorSpec){"encoder.gru.bias_ih_l0",3*H,0};
s[ENC_B_HH]= (TensorSpec){"encoder.gru.bias_hh_l0",3*H,0};
s[DEC_EMB]= (TensorSpec){"decoder.embedding.weight",c->V_out,H};
s[ATTN_W]= (TensorSpec){"decoder.attn.weight",c->L,2*H};
s[ATTN_B]= (TensorSpec){"decoder.attn.bias",c->L,0};
s[COMB_W]= (TensorSpec){"decoder.attn_combine.weight",H,2*H};
s[COMB_B]= (TensorSpec){"decoder.attn_combine.bias",H,0};
s[DEC_W_IH]= (TensorSpec){"decoder.gru.weight_ih_l0",3*H,H};
s[DEC_W_HH]= (TensorSpec){"decoder.gru.weight_hh_l0",3*H,H};
s[DEC_B_IH]= (TensorSpec){"decoder.gru.bias_ih_l0",3*H,0};
s[DEC_B_HH]= (TensorSpec){"decoder.gru.bias_hh_l0",3*H,0};
s[OUT_W]= (TensorSpec){"decoder.out.weight",c->V_out,H};
s[OUT_B]= (TensorSpec){"decoder.out.bias",c->V_out,0};
}

size_t spec_numel(const TensorSpec*s)
{
return(size_t)s->rows*(size_t)(s->cols?s->cols:1);
}

/*:50*//*51:*/
#line 1249 "attention.w"

size_t tensors_point(Tensors*t,float*mem,const Config*c)
{
TensorSpec s[N_TENSORS];
tensor_specs(c,s);
size_t off= 0;
for(int k= 0;k<N_TENSORS;k++){
if(t)t->t[k]= mem?mem+off:NULL;
off+= spec_numel(&s[k]);
}
return off;
}

/*:51*//*54:*/
#line 1285 "attention.w"

void model_alloc(Model*m,const Config*c,Vocab*vin,Vocab*vout)
{
memset(m,0,sizeof*m);
m->cfg= *c;
m->vin= *vin;
m->vout= *vout;
m->n_params= tensors_point(NULL,NULL,c);
/*377:*/
#line 7261 "attention.w"

size_t stride= (m->n_params+64+15)/16*16+64;
m->param_mem= alloc_on_huge_pages(4*stride);
m->grad_mem= m->param_mem+stride;
m->m_mem= m->grad_mem+stride;
m->v_mem= m->m_mem+stride;

/*:377*/
#line 1293 "attention.w"

tensors_point(&m->params,m->param_mem,c);
tensors_point(&m->grads,m->grad_mem,c);
activations_alloc(&m->act,c);
}

void model_free(Model*m)
{
pipeline_stop(m->pipeline);
free(m->param_mem);
activations_free(&m->act);
vocab_free(&m->vin);
vocab_free(&m->vout);
memset(m,0,sizeof*m);
}

/*:54*//*57:*/
#line 1341 "attention.w"

void model_init_random(Model*m,uint64_t seed)
{
/*58:*/
#line 1362 "attention.w"

unsigned short xs[3]= {(unsigned short)(0x330e^(seed>>32)),(unsigned short)seed,
(unsigned short)(seed>>16)};

/*:58*/
#line 1344 "attention.w"

TensorSpec s[N_TENSORS];
tensor_specs(&m->cfg,s);
for(int k= 0;k<N_TENSORS;k++){
size_t n= spec_numel(&s[k]);
float*p= m->params.t[k];
int fan_in= (k==COMB_W||k==COMB_B||k==ATTN_W||k==ATTN_B)?
2*m->cfg.H:m->cfg.H;
for(size_t i= 0;i<n;i++)
p[i]= (float)(k==ENC_EMB||k==DEC_EMB?random_normal(xs)
:uniform(xs,1.0/sqrt((double)fan_in)));
}
m->adam_t= 0;
}

/*:57*//*86:*/
#line 1815 "attention.w"

void activations_alloc(Activations*a,const Config*c)
{
size_t L= (size_t)c->L,H= (size_t)c->H,V= (size_t)c->V_out;
memset(a,0,sizeof*a);
a->enc_x= calloc_lines(L*H,sizeof(float));
a->enc_gi= calloc_lines(L*3*H,sizeof(float));
a->enc_gh= calloc_lines(L*3*H,sizeof(float));
a->enc_cache= calloc_lines(L*H,sizeof(GruCache));
a->enc_h= calloc_lines((L+1)*H,sizeof(float));
a->enc_out= calloc_lines(L*H,sizeof(float));
/*93:*/
#line 1934 "attention.w"

a->dec_eh= calloc_lines(L*2*H,sizeof(float));
a->dec_scores= calloc_lines(L*L,sizeof(float));
a->dec_w= calloc_lines(L*L,sizeof(float));
a->dec_ec= calloc_lines(L*2*H,sizeof(float));
a->dec_pre= calloc_lines(L*H,sizeof(float));
a->dec_o= calloc_lines(L*H,sizeof(float));
a->dec_gi= calloc_lines(L*3*H,sizeof(float));
a->dec_gh= calloc_lines(L*3*H,sizeof(float));
a->dec_cache= calloc_lines(L*H,sizeof(GruCache));
a->dec_h= calloc_lines((L+1)*H,sizeof(float));
a->logits= calloc_lines(L*V,sizeof(float));
a->logp= calloc_lines(L*V,sizeof(float));

/*:93*/
#line 1826 "attention.w"

/*119:*/
#line 2421 "attention.w"

a->d_logits= calloc_lines(L*V,sizeof(float));
a->d_hout= calloc_lines(L*H,sizeof(float));
a->d_dec_gi= calloc_lines(L*3*H,sizeof(float));
a->d_dec_gh= calloc_lines(L*3*H,sizeof(float));
a->d_pre= calloc_lines(L*H,sizeof(float));
a->d_scores= calloc_lines(L*L,sizeof(float));
a->d_dec_e= calloc_lines(L*H,sizeof(float));
a->d_enc_out= calloc_lines(L*H,sizeof(float));
a->d_enc_gi= calloc_lines(L*3*H,sizeof(float));
a->d_enc_gh= calloc_lines(L*3*H,sizeof(float));
a->d_enc_x= calloc_lines(L*H,sizeof(float));
a->d_h= calloc_lines(H,sizeof(float));
a->d_hprev= calloc_lines(H,sizeof(float));
a->d_o= calloc_lines(H,sizeof(float));
a->d_ec= calloc_lines(2*H,sizeof(float));
a->d_eh= calloc_lines(2*H,sizeof(float));
a->d_enc_h= calloc_lines(H,sizeof(float));
a->d_enc_hprev= calloc_lines(H,sizeof(float));
a->d_rows= calloc_lines(ROW_BLOCK> 2*H?ROW_BLOCK:2*H,sizeof(float));
a->d_enc_rows= calloc_lines(ROW_BLOCK> 2*H?ROW_BLOCK:2*H,sizeof(float));

/*:119*/
#line 1827 "attention.w"

}

/*:86*//*87:*/
#line 1831 "attention.w"

void activations_free(Activations*a)
{
void*all[]= {a->enc_x,a->enc_gi,a->enc_gh,a->enc_cache,a->enc_h,
a->enc_out,/*94:*/
#line 1949 "attention.w"

a->dec_eh,a->dec_scores,a->dec_w,a->dec_ec,a->dec_pre,a->dec_o,
a->dec_gi,a->dec_gh,a->dec_cache,a->dec_h,a->logits,a->logp

/*:94*/
#line 1835 "attention.w"
,
/*120:*/
#line 2444 "attention.w"

a->d_logits,a->d_hout,a->d_dec_gi,a->d_dec_gh,a->d_pre,a->d_scores,
a->d_dec_e,a->d_enc_out,a->d_enc_gi,a->d_enc_gh,a->d_enc_x,a->d_h,
a->d_hprev,a->d_o,a->d_ec,a->d_eh,a->d_enc_h,a->d_enc_hprev,a->d_rows,
a->d_enc_rows

/*:120*/
#line 1836 "attention.w"
};
for(size_t k= 0;k<sizeof all/sizeof all[0];k++)free(all[k]);
memset(a,0,sizeof*a);
}

/*:87*//*89:*/
#line 1850 "attention.w"

void encoder_forward(Model*m,const int*src,int T)
{
Activations*a= &m->act;
const Tensors*P= &m->params;
int H= m->cfg.H;
embedding_forward(a->enc_x,P->enc_emb,src,T,H);
linear_forward(a->enc_gi,a->enc_x,P->enc_w_ih,P->enc_b_ih,T,H,3*H);
memset(a->enc_h,0,(size_t)H*sizeof(float));
for(int t= 0;t<T;t++){
float*h= a->enc_h+(size_t)t*H;
if(t==0)memcpy(a->enc_gh,P->enc_b_hh,3*(size_t)H*sizeof(float));
else linear_forward(a->enc_gh+(size_t)t*3*H,h,P->enc_w_hh,P->enc_b_hh,1,H,3*H);
gru_cell_forward(h+H,a->enc_cache+(size_t)t*H,a->enc_gi+(size_t)t*3*H,
a->enc_gh+(size_t)t*3*H,h,1,H);
}
memset(a->enc_out,0,(size_t)m->cfg.L*H*sizeof(float));
memcpy(a->enc_out,a->enc_h+H,(size_t)T*H*sizeof(float));
}

/*:89*//*95:*/
#line 1954 "attention.w"

DecoderStep decoder_step(const Activations*a,const Config*c,int t)
{
size_t H= (size_t)c->H,L= (size_t)c->L,k= (size_t)t;
return(DecoderStep){a->dec_eh+k*2*H,a->dec_scores+k*L,
a->dec_w+k*L,a->dec_ec+k*2*H,a->dec_pre+k*H,
a->dec_o+k*H,a->dec_gi+k*3*H,a->dec_gh+k*3*H,
a->dec_h+(k+1)*H,a->dec_cache+k*H};
}

/*:95*//*96:*/
#line 1967 "attention.w"

void decoder_step_forward(const Model*m,int token,const float*h_prev,
const float*enc_out,const DecoderStep*s)
{
const Tensors*P= &m->params;
int H= m->cfg.H,L= m->cfg.L;
embedding_forward(s->eh,P->dec_emb,&token,1,H);
memcpy(s->ec,s->eh,(size_t)H*sizeof(float));
memcpy(s->eh+H,h_prev,(size_t)H*sizeof(float));
linear_forward(s->scores,s->eh,P->attn_w,P->attn_b,1,2*H,L);
attention_forward(s->w,s->ec+H,s->scores,enc_out,1,L,H);
linear_forward(s->pre,s->ec,P->comb_w,P->comb_b,1,2*H,H);
relu_forward(s->o,s->pre,H);
linear_forward(s->gi,s->o,P->dec_w_ih,P->dec_b_ih,1,H,3*H);
linear_forward(s->gh,h_prev,P->dec_w_hh,P->dec_b_hh,1,H,3*H);
gru_cell_forward(s->h,s->cache,s->gi,s->gh,h_prev,1,H);
}

/*:96*//*98:*/
#line 2010 "attention.w"

float seq2seq_forward(Model*m,const Example*ex)
{
encoder_forward(m,ex->src,ex->src_len);
return decoder_forward(m,ex);
}

float decoder_forward(Model*m,const Example*ex)
{
Activations*a= &m->act;
const Config*c= &m->cfg;
int H= c->H,T= ex->tgt_len;
a->T_tgt= T;
memcpy(a->dec_h,a->enc_h+(size_t)ex->src_len*H,(size_t)H*sizeof(float));
for(int t= 0;t<T;t++){
a->dec_in[t]= t==0?SOS_TOKEN:ex->tgt[t-1];
DecoderStep s= decoder_step(a,c,t);
decoder_step_forward(m,a->dec_in[t],a->dec_h+(size_t)t*H,a->enc_out,&s);
}
linear_forward(a->logits,a->dec_h+H,m->params.out_w,m->params.out_b,T,H,c->V_out);
log_softmax_forward(a->logp,a->logits,T,c->V_out);
return nll_forward(a->logp,ex->tgt,T,c->V_out);
}

/*:98*//*122:*/
#line 2480 "attention.w"

void seq2seq_backward_deferred(Model*m,const Example*ex,Deferred d[N_DEFERRED])
{
decoder_backward(m,ex,d);
encoder_backward(m,ex,d+N_DEC_DEFERRED);
}

void decoder_backward(Model*m,const Example*ex,Deferred d[N_DEC_DEFERRED])
{
Activations*a= &m->act;
const Config*c= &m->cfg;
const Tensors*P= &m->params;
const Tensors*G= &m->grads;
int H= c->H,L= c->L,V= c->V_out,T= a->T_tgt;
size_t h= (size_t)H;
/*126:*/
#line 2534 "attention.w"

nll_backward(a->d_logits,a->logp,ex->tgt,T,V);
memset(a->d_hout,0,(size_t)T*h*sizeof(float));
linear_backward(a->d_hout,NULL,G->out_b,a->d_logits,NULL,P->out_w,T,H,V);
d[0]= (Deferred){OUT_W,a->d_logits,a->dec_h+h,T,H,V};
memset(a->d_enc_out,0,(size_t)L*h*sizeof(float));
memset(a->d_hprev,0,h*sizeof(float));

/*:126*/
#line 2495 "attention.w"

/*127:*/
#line 2549 "attention.w"

for(int t= T-1;t>=0;t--){
DecoderStep s= decoder_step(a,c,t);
const float*h_prev= a->dec_h+(size_t)t*h;
float*dgi= a->d_dec_gi+(size_t)t*3*h,*dgh= a->d_dec_gh+(size_t)t*3*h;
for(int j= 0;j<H;j++)a->d_h[j]= a->d_hout[(size_t)t*h+j]+a->d_hprev[j];
memset(a->d_hprev,0,h*sizeof(float));
gru_cell_backward(dgi,dgh,a->d_hprev,a->d_h,h_prev,s.cache,1,H);
linear_backward(a->d_hprev,NULL,NULL,dgh,NULL,P->dec_w_hh,1,H,3*H);
memset(a->d_o,0,h*sizeof(float));
linear_backward(a->d_o,NULL,NULL,dgi,NULL,P->dec_w_ih,1,H,3*H);
relu_backward(a->d_pre+(size_t)t*h,a->d_o,s.pre,H);
memset(a->d_ec,0,2*h*sizeof(float));
linear_backward(a->d_ec,NULL,NULL,a->d_pre+(size_t)t*h,NULL,P->comb_w,1,2*H,H);
attention_backward(a->d_scores+(size_t)t*L,a->d_enc_out,a->d_ec+H,s.w,
a->enc_out,1,L,H);
memset(a->d_eh,0,2*h*sizeof(float));
linear_backward(a->d_eh,NULL,NULL,a->d_scores+(size_t)t*L,NULL,P->attn_w,1,2*H,L);
for(int j= 0;j<H;j++){
a->d_dec_e[(size_t)t*h+j]= a->d_ec[j]+a->d_eh[j];
a->d_hprev[j]+= a->d_eh[H+j];
}
}

/*:127*/
#line 2496 "attention.w"

/*128:*/
#line 2577 "attention.w"

d[1]= (Deferred){DEC_W_HH,a->d_dec_gh,a->dec_h,T,H,3*H};
d[2]= (Deferred){DEC_W_IH,a->d_dec_gi,a->dec_o,T,H,3*H};
d[3]= (Deferred){COMB_W,a->d_pre,a->dec_ec,T,2*H,H};
d[4]= (Deferred){ATTN_W,a->d_scores,a->dec_eh,T,2*H,L};
linear_backward(NULL,NULL,G->dec_b_hh,a->d_dec_gh,NULL,NULL,T,H,3*H);
linear_backward(NULL,NULL,G->dec_b_ih,a->d_dec_gi,NULL,NULL,T,H,3*H);
linear_backward(NULL,NULL,G->comb_b,a->d_pre,NULL,NULL,T,2*H,H);
linear_backward(NULL,NULL,G->attn_b,a->d_scores,NULL,NULL,T,2*H,L);
embedding_backward(G->dec_emb,a->d_dec_e,a->dec_in,T,H);

/*:128*/
#line 2497 "attention.w"

memcpy(a->d_enc_hprev,a->d_hprev,h*sizeof(float));
}

/*:122*//*123:*/
#line 2503 "attention.w"

void encoder_backward(Model*m,const Example*ex,Deferred d[N_ENC_DEFERRED])
{
Activations*a= &m->act;
const Tensors*P= &m->params;
const Tensors*G= &m->grads;
int H= m->cfg.H,S= ex->src_len;
size_t h= (size_t)H;
/*129:*/
#line 2596 "attention.w"

for(int t= S-1;t>=0;t--){
const float*h_prev= a->enc_h+(size_t)t*h;
float*dgi= a->d_enc_gi+(size_t)t*3*h,*dgh= a->d_enc_gh+(size_t)t*3*h;
for(int j= 0;j<H;j++)a->d_enc_h[j]= a->d_enc_out[(size_t)t*h+j]+a->d_enc_hprev[j];
memset(a->d_enc_hprev,0,h*sizeof(float));
gru_cell_backward(dgi,dgh,a->d_enc_hprev,a->d_enc_h,h_prev,a->enc_cache+(size_t)t*h,
1,H);
if(t> 0)linear_backward(a->d_enc_hprev,NULL,NULL,dgh,NULL,P->enc_w_hh,1,H,3*H);
}
memset(a->d_enc_x,0,(size_t)S*h*sizeof(float));
linear_backward(a->d_enc_x,NULL,G->enc_b_ih,a->d_enc_gi,NULL,P->enc_w_ih,S,H,3*H);
linear_backward(NULL,NULL,G->enc_b_hh,a->d_enc_gh,NULL,NULL,S,H,3*H);
d[0]= (Deferred){ENC_W_IH,a->d_enc_gi,a->enc_x,S,H,3*H};
d[1]= (Deferred){ENC_W_HH,a->d_enc_gh+3*h,a->enc_h+h,S-1,H,3*H};
embedding_backward(G->enc_emb,a->d_enc_x,ex->src,S,H);

/*:129*/
#line 2511 "attention.w"

}

/*:123*//*124:*/
#line 2516 "attention.w"

void seq2seq_backward(Model*m,const Example*ex)
{
Deferred d[N_DEFERRED];
seq2seq_backward_deferred(m,ex,d);
for(int k= 0;k<N_DEFERRED;k++)
linear_backward(NULL,m->grads.t[d[k].weight],NULL,d[k].dout,d[k].inp,NULL,
d[k].B,d[k].C,d[k].OC);
}

/*:124*//*131:*/
#line 2659 "attention.w"

AdamConstants adam_constants(double lr,double beta1,double beta2,double eps,long t)
{
AdamConstants k;
/*132:*/
#line 2674 "attention.w"

k.b1= (float)beta1;
k.a1= (float)(1.0-beta1);
k.b2= (float)beta2;
k.a2= (float)(1.0-beta2);
k.step= (float)(lr/(1.0-pow(beta1,(double)t)));
k.inv_bc2= (float)(1.0/sqrt(1.0-pow(beta2,(double)t)));
k.eps= (float)eps;

/*:132*/
#line 2663 "attention.w"

return k;
}

void adam_apply(float*p,const float*g,float*m,float*v,size_t n,
const AdamConstants*k)
{
/*133:*/
#line 2687 "attention.w"

const AdamConstants c= *k;
for(size_t i= 0;i<n;i++){
float gi= g[i];
float mi= c.b1*m[i]+c.a1*gi;
float vi= c.b2*v[i]+c.a2*gi*gi;
m[i]= mi;
v[i]= vi;
p[i]-= c.step*mi/(sqrtf(vi)*c.inv_bc2+c.eps);
}

/*:133*/
#line 2670 "attention.w"

}

/*:131*//*135:*/
#line 2705 "attention.w"

void adam_update(float*p,const float*g,float*m,float*v,size_t n,
double lr,double beta1,double beta2,double eps,long t)
{
AdamConstants k= adam_constants(lr,beta1,beta2,eps,t);
adam_apply(p,g,m,v,n,&k);
}

/*:135*//*136:*/
#line 2717 "attention.w"

void optimizer_step(Model*m,double lr)
{
TensorSpec s[N_TENSORS];
tensor_specs(&m->cfg,s);
AdamConstants c= adam_constants(lr,0.9,0.999,1e-8,++m->adam_t);
for(int k= 0;k<N_TENSORS;k++)adam_tensor(m,k,spec_numel(&s[k]),&c);
}

/*:136*//*139:*/
#line 2784 "attention.w"

float train_step(Model*m,const Example*ex,double lr)
{
float loss= seq2seq_forward(m,ex);
Deferred d[N_DEFERRED];
seq2seq_backward_deferred(m,ex,d);
AdamConstants c= adam_constants(lr,0.9,0.999,1e-8,++m->adam_t);
update_half(m,d,N_DEC_DEFERRED,DEC_EMB,N_TENSORS-1,&c,m->act.d_rows);
update_half(m,d+N_DEC_DEFERRED,N_ENC_DEFERRED,ENC_EMB,ENC_B_HH,&c,
m->act.d_enc_rows);
return loss;
}

/*:139*//*142:*/
#line 2852 "attention.w"

int argmax(const float*x,int n)
{
int best= 0;
for(int i= 1;i<n;i++)if(x[i]> x[best])best= i;
return best;
}

int greedy_decode(Model*m,const int*src,int T,int*out,float*attn)
{
Activations*a= &m->act;
const Config*c= &m->cfg;
int H= c->H,L= c->L,V= c->V_out,n= 0;
encoder_forward(m,src,T);
memcpy(a->dec_h,a->enc_h+(size_t)T*H,(size_t)H*sizeof(float));
/*143:*/
#line 2872 "attention.w"

int token= SOS_TOKEN;
for(int t= 0;t<L;t++){
DecoderStep s= decoder_step(a,c,t);
decoder_step_forward(m,token,a->dec_h+(size_t)t*H,a->enc_out,&s);
if(attn)memcpy(attn+(size_t)t*L,s.w,(size_t)L*sizeof(float));
linear_forward(a->logits,s.h,m->params.out_w,m->params.out_b,1,H,V);
log_softmax_forward(a->logp,a->logits,1,V);
token= argmax(a->logp,V);
if(token==EOS_TOKEN)break;
out[n++]= token;
}

/*:143*/
#line 2867 "attention.w"

return n;
}

/*:142*//*370:*/
#line 7163 "attention.w"

int train_pairs(Model*m,const Example*ex,int n,long epochs,double lr,int threads,
float*loss)
{
long steps= (long)n*epochs;
if(threads> 1&&!m->pipeline)m->pipeline= pipeline_start();
struct Pipeline*p= m->pipeline;
if(threads<2||!p||steps<1){
for(long k= 0;k<steps;k++)loss[k]= train_step(m,&ex[k%n],lr);
return 1;
}
/*371:*/
#line 7182 "attention.w"

p->m= m;
p->ex= ex;
p->n= n;
p->steps= steps;
p->lr= lr;
p->t0= m->adam_t;
atomic_store(&p->encoded,0);
atomic_store(&p->decoded,0);
post_job(p);

/*:371*/
#line 7174 "attention.w"

/*372:*/
#line 7196 "attention.w"

for(long k= 0;k<steps;k++){
Deferred d[N_DEC_DEFERRED];
wait_until(&p->encoded,k+1);
loss[k]= decoder_forward(m,&ex[k%n]);
decoder_backward(m,&ex[k%n],d);
atomic_store_explicit(&p->decoded,k+1,memory_order_release);
AdamConstants c= adam_constants(lr,0.9,0.999,1e-8,p->t0+k+1);
update_half(m,d,N_DEC_DEFERRED,DEC_EMB,N_TENSORS-1,&c,m->act.d_rows);
}

/*:372*/
#line 7175 "attention.w"

wait_until(&p->finished,atomic_load(&p->job));
m->adam_t+= steps;
return 2;
}

/*:370*/
#line 1215 "attention.w"


/*:49*/
