/*156:*/
#line 3035 "attention.w"

#include "attention.h"
#include <stdlib.h> 
#include <string.h> 
#include <math.h> 
/*216:*/
#line 4199 "attention.w"

#define PT(k) (bm->p + bm->off[k])
#define GT(k) (bm->g + bm->off[k])
static void*dev(const BModel*bm,size_t n,size_t size)
{
return bm->be->alloc(n*size);
}

/*:216*//*217:*/
#line 4209 "attention.w"

static void bias_grad(const BModel*bm,float*db,const float*dy,int n,int m)
{
bm->be->gemm(0,0,1,m,n,1.0f,bm->a.ones,n,dy,m,1.0f,db,m);
}

/*:217*//*228:*/
#line 4383 "attention.w"

static uint64_t mix64(uint64_t z)
{
z+= 0x9e3779b97f4a7c15ULL;
z= (z^(z>>30))*0xbf58476d1ce4e5b9ULL;
z= (z^(z>>27))*0x94d049bb133111ebULL;
return z^(z>>31);
}

/*:228*//*229:*/
#line 4397 "attention.w"

static void encoder_forward_b(BModel*bm,const Batch*bt,float p)
{
const Backend*be= bm->be;
BActs*a= &bm->a;
int B= bt->B,S= bt->S,H= bm->cfg.H,G= 3*H;
be->embed(a->enc_x,PT(P_ENC_EMB),a->src,S*B,H,p,mix64(bm->seed^(2*bm->step)));
be->gemm(0,1,S*B,G,H,1.0f,a->enc_x,H,PT(P_ENC_W_IH),H,0.0f,a->enc_gi,G);
be->add_bias(a->enc_gi,PT(P_ENC_B_IH),S*B,G);
be->zero(a->enc_h,(size_t)B*H*sizeof(float));
for(int s= 0;s<S;s++){
float*h= a->enc_h+(size_t)s*B*H;
be->gemm(0,1,B,G,H,1.0f,h,H,PT(P_ENC_W_HH),H,0.0f,a->gh,G);
be->add_bias(a->gh,PT(P_ENC_B_HH),B,G);
be->gru_forward(h+(size_t)B*H,a->enc_cache+(size_t)s*B*H,
a->enc_gi+(size_t)s*B*G,a->gh,h,a->keys+(size_t)s*B*H,a->src_len,
s,B,H);
}
}

/*:229*//*230:*/
#line 4420 "attention.w"

static void attention_precompute(BModel*bm,int B,int S)
{
const Backend*be= bm->be;
BActs*a= &bm->a;
int H= bm->cfg.H;
if(bm->kind==KIND_BAHDANAU){
be->gemm(0,1,S*B,H,H,1.0f,a->keys,H,PT(P_UA_W),H,0.0f,a->uk,H);
be->add_bias(a->uk,PT(P_UA_B),S*B,H);
}else if(bm->kind==KIND_MULTIHEAD){
const float*w= PT(P_INPROJ_W),*b= PT(P_INPROJ_B);
be->gemm(0,1,S*B,H,H,1.0f,a->keys,H,w+(size_t)H*H,H,0.0f,a->kp,H);
be->add_bias(a->kp,b+H,S*B,H);
be->gemm(0,1,S*B,H,H,1.0f,a->keys,H,w+(size_t)2*H*H,H,0.0f,a->vp,H);
be->add_bias(a->vp,b+2*H,S*B,H);
}
}

/*:230*//*231:*/
#line 4444 "attention.w"

static void decoder_step_b(BModel*bm,int B,int S,int t)
{
const Backend*be= bm->be;
BActs*a= &bm->a;
int H= bm->cfg.H,G= 3*H;
size_t bh= (size_t)B*H,tb= (size_t)t*bh;
float*s_prev= a->dec_h+tb,*s_new= s_prev+bh,*gi= a->dec_gi+(size_t)t*B*G;
const float*x2= a->ht+tb;
if(bm->kind==KIND_BAHDANAU){
/*232:*/
#line 4465 "attention.w"

float*w= a->attw+(size_t)t*B*S;
be->gemm(0,1,B,H,H,1.0f,s_prev,H,PT(P_WA_W),H,0.0f,a->wq,H);
be->add_bias(a->wq,PT(P_WA_B),B,H);
be->additive_scores(a->scores,a->add_a+(size_t)t*B*S*H,a->wq,a->uk,
PT(P_VA_W),B,S,H);
be->masked_softmax(w,a->scores,a->src_len,B,1,S);
be->context(a->ctx+tb,w,a->keys,B,S,H,1);

/*:232*/
#line 4454 "attention.w"

x2= a->ctx+tb;
}
be->gemm(0,1,B,G,H,1.0f,x2,H,PT(P_DEC_W_IH)+H,2*H,1.0f,gi,G);
be->gemm(0,1,B,G,H,1.0f,s_prev,H,PT(P_DEC_W_HH),H,0.0f,a->gh,G);
be->add_bias(a->gh,PT(P_DEC_B_HH),B,G);
be->gru_forward(s_new,a->dec_cache+tb,gi,a->gh,s_prev,NULL,NULL,0,B,H);
if(bm->kind!=KIND_BAHDANAU)/*233:*/
#line 4478 "attention.w"

{
int mh= bm->kind==KIND_MULTIHEAD,nh= bm->heads;
const float*q= s_new,*K= mh?a->kp:a->keys;
float*w= a->attw+(size_t)t*B*nh*S,*c= a->ctx+tb,*ht= a->ht+tb+bh;
const float*Wc= PT(mh?P_COMBINE:P_LIN_OUT);
if(bm->kind!=KIND_LUONG_DOT)/*234:*/
#line 4498 "attention.w"

{
float*qt= a->q+tb;
be->gemm(0,1,B,H,H,1.0f,s_new,H,PT(mh?P_INPROJ_W:P_LIN_IN),H,0.0f,qt,H);
if(mh)be->add_bias(qt,PT(P_INPROJ_B),B,H);
q= qt;
}

/*:234*/
#line 4484 "attention.w"

be->dot_scores(a->scores,q,K,B,S,H,nh,mh?1.0f/sqrtf((float)(H/nh)):1.0f);
be->masked_softmax(w,a->scores,a->src_len,B,nh,S);
be->context(mh?a->mh+tb:c,w,mh?a->vp:a->keys,B,S,H,nh);
if(mh){
be->gemm(0,1,B,H,H,1.0f,a->mh+tb,H,PT(P_OUTPROJ_W),H,0.0f,c,H);
be->add_bias(c,PT(P_OUTPROJ_B),B,H);
}
be->gemm(0,1,B,H,H,1.0f,c,H,Wc,2*H,0.0f,ht,H);
be->gemm(0,1,B,H,H,1.0f,s_new,H,Wc+H,2*H,1.0f,ht,H);
be->tanh_forward(ht,ht,B*H);
}

/*:233*/
#line 4461 "attention.w"

}

/*:231*//*235:*/
#line 4512 "attention.w"

static const float*decoder_output(const BModel*bm)
{
return bm->kind==KIND_BAHDANAU?bm->a.dec_h:bm->a.ht;
}

static void decoder_forward_b(BModel*bm,const Batch*bt,float p)
{
const Backend*be= bm->be;
BActs*a= &bm->a;
int B= bt->B,S= bt->S,T= bt->T,H= bm->cfg.H,G= 3*H;
be->embed(a->dec_e,PT(P_DEC_EMB),a->dec_in,T*B,H,p,mix64(bm->seed^(2*bm->step+1)));
be->gemm(0,1,T*B,G,H,1.0f,a->dec_e,H,PT(P_DEC_W_IH),2*H,0.0f,a->dec_gi,G);
be->add_bias(a->dec_gi,PT(P_DEC_B_IH),T*B,G);
be->copy(a->dec_h,a->enc_h+(size_t)S*B*H,(size_t)B*H*sizeof(float));
be->zero(a->ht,(size_t)B*H*sizeof(float));
attention_precompute(bm,B,S);
for(int t= 0;t<T;t++)decoder_step_b(bm,B,S,t);
}

/*:235*//*247:*/
#line 4755 "attention.w"

static void encoder_backward_b(BModel*bm,const Batch*bt)
{
const Backend*be= bm->be;
BActs*a= &bm->a;
int B= bt->B,S= bt->S,H= bm->cfg.H,G= 3*H,M= S*B;
size_t bh= (size_t)B*H;
for(int s= S-1;s>=0;s--){
float*dgi= a->d_enc_gi+(size_t)s*B*G,*dgh= a->d_enc_gh+(size_t)s*B*G;
be->gru_backward(dgi,dgh,a->d_s2,a->d_s,a->d_keys+s*bh,a->enc_h+s*bh,
a->enc_cache+s*bh,a->src_len,s,B,H);
be->gemm(0,0,B,H,G,1.0f,dgh,G,PT(P_ENC_W_HH),H,1.0f,a->d_s2,H);
float*x= a->d_s;
a->d_s= a->d_s2;
a->d_s2= x;
}
be->gemm(1,0,G,H,M,1.0f,a->d_enc_gi,G,a->enc_x,H,1.0f,GT(P_ENC_W_IH),H);
bias_grad(bm,GT(P_ENC_B_IH),a->d_enc_gi,M,G);
be->gemm(1,0,G,H,M,1.0f,a->d_enc_gh,G,a->enc_h,H,1.0f,GT(P_ENC_W_HH),H);
bias_grad(bm,GT(P_ENC_B_HH),a->d_enc_gh,M,G);
be->gemm(0,0,M,H,G,1.0f,a->d_enc_gi,G,PT(P_ENC_W_IH),H,0.0f,a->d_emb,H);
be->embed_backward(GT(P_ENC_EMB),a->d_emb,a->src,M,H,bm->step_p,
mix64(bm->seed^(2*bm->step)));
}

/*:247*//*253:*/
#line 4855 "attention.w"

static void decoder_logits_b(BModel*bm,int B,int S,int t)
{
const Backend*be= bm->be;
BActs*a= &bm->a;
int H= bm->cfg.H,V= bm->cfg.V_out,G= 3*H;
size_t tb= (size_t)t*B;
be->embed(a->dec_e+tb*H,PT(P_DEC_EMB),a->dec_in+tb,B,H,0.0f,0);
be->gemm(0,1,B,G,H,1.0f,a->dec_e+tb*H,H,PT(P_DEC_W_IH),2*H,0.0f,
a->dec_gi+tb*G,G);
be->add_bias(a->dec_gi+tb*G,PT(P_DEC_B_IH),B,G);
decoder_step_b(bm,B,S,t);
be->gemm(0,1,B,V,H,1.0f,decoder_output(bm)+(tb+B)*H,H,PT(P_OUT_W),H,0.0f,
a->logits,V);
be->add_bias(a->logits,PT(P_OUT_B),B,V);
}

/*:253*//*303:*/
#line 5733 "attention.w"

/*302:*/
#line 5719 "attention.w"

typedef struct{
Decoder d;
BModel*bm;
int n_sent,*len;
float*mem[2];
int*dsent;
int*h_len;
float*h_s,*h_x,*h_w;
}BDecoder;

/*:302*/
#line 5734 "attention.w"

static void bdecoder_arrays(BModel*bm,float**arr[2])
{
BActs*a= &bm->a;
arr[0]= bm->kind==KIND_MULTIHEAD?&a->kp:&a->keys;
arr[1]= bm->kind==KIND_BAHDANAU?&a->uk:bm->kind==KIND_MULTIHEAD?&a->vp:NULL;
}

/*:303*/
#line 3040 "attention.w"

/*157:*/
#line 3044 "attention.w"

const char*const kind_names[N_KINDS]= {"seed","bahdanau","luong-dot",
"luong-general","multihead"};

int kind_from_name(const char*s)
{
for(int k= 0;k<N_KINDS;k++)if(strcmp(s,kind_names[k])==0)return k;
return-1;
}

/*:157*//*212:*/
#line 4129 "attention.w"

void batched_specs(int kind,const Config*c,TensorSpec s[NP_TENSORS])
{
int H= c->H,bah= kind==KIND_BAHDANAU,mh= kind==KIND_MULTIHEAD;
int luong= kind==KIND_LUONG_DOT||kind==KIND_LUONG_GENERAL;
s[P_ENC_EMB]= (TensorSpec){"encoder.embedding.weight",c->V_in,H};
s[P_ENC_W_IH]= (TensorSpec){"encoder.gru.weight_ih_l0",3*H,H};
s[P_ENC_W_HH]= (TensorSpec){"encoder.gru.weight_hh_l0",3*H,H};
s[P_ENC_B_IH]= (TensorSpec){"encoder.gru.bias_ih_l0",3*H,0};
s[P_ENC_B_HH]= (TensorSpec){"encoder.gru.bias_hh_l0",3*H,0};
s[P_DEC_EMB]= (TensorSpec){"decoder.embedding.weight",c->V_out,H};
/*213:*/
#line 4151 "attention.w"

s[P_WA_W]= (TensorSpec){"decoder.attention.Wa.weight",bah?H:0,H};
s[P_WA_B]= (TensorSpec){"decoder.attention.Wa.bias",bah?H:0,0};
s[P_UA_W]= (TensorSpec){"decoder.attention.Ua.weight",bah?H:0,H};
s[P_UA_B]= (TensorSpec){"decoder.attention.Ua.bias",bah?H:0,0};
s[P_VA_W]= (TensorSpec){"decoder.attention.Va.weight",bah?1:0,H};
s[P_VA_B]= (TensorSpec){"decoder.attention.Va.bias",bah?1:0,0};
s[P_LIN_IN]= (TensorSpec){"decoder.attention.linear_in.weight",
kind==KIND_LUONG_GENERAL?H:0,H};
s[P_LIN_OUT]= (TensorSpec){"decoder.attention.linear_out.weight",luong?H:0,2*H};
s[P_INPROJ_W]= (TensorSpec){"decoder.attention.in_proj_weight",mh?3*H:0,H};
s[P_INPROJ_B]= (TensorSpec){"decoder.attention.in_proj_bias",mh?3*H:0,0};
s[P_OUTPROJ_W]= (TensorSpec){"decoder.attention.out_proj.weight",mh?H:0,H};
s[P_OUTPROJ_B]= (TensorSpec){"decoder.attention.out_proj.bias",mh?H:0,0};

/*:213*/
#line 4140 "attention.w"

s[P_DEC_W_IH]= (TensorSpec){"decoder.gru.weight_ih_l0",3*H,2*H};
s[P_DEC_W_HH]= (TensorSpec){"decoder.gru.weight_hh_l0",3*H,H};
s[P_DEC_B_IH]= (TensorSpec){"decoder.gru.bias_ih_l0",3*H,0};
s[P_DEC_B_HH]= (TensorSpec){"decoder.gru.bias_hh_l0",3*H,0};
s[P_COMBINE]= (TensorSpec){"decoder.combine.weight",mh?H:0,2*H};
s[P_OUT_W]= (TensorSpec){"decoder.out.weight",c->V_out,H};
s[P_OUT_B]= (TensorSpec){"decoder.out.bias",c->V_out,0};
}

/*:212*//*218:*/
#line 4216 "attention.w"

void bmodel_alloc(BModel*bm,const Backend*be,int kind,int heads,const Config*c,
Vocab*vin,Vocab*vout,int B_cap)
{
memset(bm,0,sizeof*bm);
bm->kind= kind;
bm->heads= kind==KIND_MULTIHEAD?heads:1;
bm->cfg= *c;
bm->vin= *vin;
bm->vout= *vout;
bm->be= be;
bm->B_cap= B_cap;
batched_specs(kind,c,bm->spec);
for(int k= 0;k<NP_TENSORS;k++){
bm->off[k]= bm->n_params;
bm->n_params+= bm->spec[k].rows?spec_numel(&bm->spec[k]):0;
}
bm->p= dev(bm,bm->n_params,sizeof(float));
bm->g= dev(bm,bm->n_params,sizeof(float));
bm->m= dev(bm,bm->n_params,sizeof(float));
bm->v= dev(bm,bm->n_params,sizeof(float));
/*219:*/
#line 4241 "attention.w"

BActs*a= &bm->a;
size_t B= (size_t)B_cap,L= (size_t)c->L,H= (size_t)c->H,N= L*B,V= (size_t)c->V_out;
int**ints[]= {&a->src,&a->tgt,&a->dec_in,&a->rows};
for(int k= 0;k<4;k++)*ints[k]= dev(bm,N,sizeof(int));
a->src_len= dev(bm,B,sizeof(int));
a->ids= dev(bm,B,sizeof(int));
a->enc_cache= dev(bm,N*H,sizeof(GruCache));
a->dec_cache= dev(bm,N*H,sizeof(GruCache));
float**nh[]= {&a->o_real,&a->enc_x,&a->keys,&a->uk,&a->kp,&a->vp,&a->dec_e,&a->q,&a->ctx,
&a->mh,&a->d_out,&a->d_pre,&a->d_ctx,&a->d_q,&a->d_keys,&a->d_uk,&a->d_kp,
&a->d_vp,&a->d_emb};
for(size_t k= 0;k<sizeof nh/sizeof nh[0];k++)*nh[k]= dev(bm,N*H,sizeof(float));
float**n3h[]= {&a->enc_gi,&a->dec_gi,&a->d_dec_gi,&a->d_dec_gh,&a->d_enc_gi,&a->d_enc_gh};
for(size_t k= 0;k<sizeof n3h/sizeof n3h[0];k++)*n3h[k]= dev(bm,N*3*H,sizeof(float));
a->enc_h= dev(bm,N*H+B*H,sizeof(float));
a->dec_h= dev(bm,N*H+B*H,sizeof(float));
a->ht= dev(bm,N*H+B*H,sizeof(float));
/*220:*/
#line 4262 "attention.w"

float**bh[]= {&a->wq,&a->d_s,&a->d_s2,&a->d_mh};
for(size_t k= 0;k<sizeof bh/sizeof bh[0];k++)*bh[k]= dev(bm,B*H,sizeof(float));
a->gh= dev(bm,B*3*H,sizeof(float));
a->add_a= dev(bm,(kind==KIND_BAHDANAU?N*L:1)*H,sizeof(float));
a->scores= dev(bm,B*(size_t)bm->heads*L,sizeof(float));
a->d_w= dev(bm,B*(size_t)bm->heads*L,sizeof(float));
a->d_e= dev(bm,B*(size_t)bm->heads*L,sizeof(float));
a->attw= dev(bm,N*(size_t)bm->heads*L,sizeof(float));
a->logits= dev(bm,N*V,sizeof(float));
a->row_loss= dev(bm,N,sizeof(float));
a->loss_acc= dev(bm,1,sizeof(float));
a->ones= dev(bm,N,sizeof(float));
float*one= xcalloc(N,sizeof(float));
for(size_t i= 0;i<N;i++)one[i]= 1.0f;
be->upload(a->ones,one,N*sizeof(float));
free(one);

/*:220*/
#line 4259 "attention.w"


/*:219*/
#line 4237 "attention.w"

}

/*:218*//*221:*/
#line 4282 "attention.w"

void bmodel_free(BModel*bm)
{
if(!bm->be)return;
void**ptr= (void**)&bm->a;
for(size_t k= 0;k<sizeof bm->a/sizeof(void*);k++)bm->be->release(ptr[k]);
float*bufs[]= {bm->p,bm->g,bm->m,bm->v};
for(int k= 0;k<4;k++)bm->be->release(bufs[k]);
vocab_free(&bm->vin);
vocab_free(&bm->vout);
memset(bm,0,sizeof*bm);
}

/*:221*//*223:*/
#line 4309 "attention.w"

void bmodel_init_random(BModel*bm,uint64_t seed)
{
unsigned short xs[3]= {(unsigned short)(0x330e^(seed>>32)),(unsigned short)seed,
(unsigned short)(seed>>16)};
float*host= xcalloc(bm->n_params,sizeof(float));
for(int k= 0;k<NP_TENSORS;k++){
const TensorSpec*s= &bm->spec[k];
if(!s->rows)continue;
int gru= (k>=P_ENC_W_IH&&k<=P_ENC_B_HH)||(k>=P_DEC_W_IH&&k<=P_DEC_B_HH);
int fan= gru||s->cols==0?bm->cfg.H:s->cols;
double bound= k==P_INPROJ_W?sqrt(6.0/(4.0*bm->cfg.H)):
k==P_INPROJ_B||k==P_OUTPROJ_B?0.0:1.0/sqrt((double)fan);
for(size_t i= 0;i<spec_numel(s);i++)
host[bm->off[k]+i]= (float)(k==P_ENC_EMB||k==P_DEC_EMB?random_normal(xs)
:bound*(2.0*erand48(xs)-1.0));
}
bm->be->upload(bm->p,host,bm->n_params*sizeof(float));
free(host);
bm->adam_t= 0;
bm->seed= seed;
}

/*:223*//*225:*/
#line 4339 "attention.w"

void batch_upload(BModel*bm,const Example*ex,const int*idx,int n,Batch*bt)
{
int S= 0,T= 0,tokens= 0;
for(int b= 0;b<n;b++){
const Example*e= &ex[idx?idx[b]:b];
if(e->src_len> S)S= e->src_len;
if(e->tgt_len> T)T= e->tgt_len;
tokens+= e->tgt_len;
}
int*h= xcalloc((size_t)(4*(S> T?S:T)*n+2*n),sizeof(int));
int*src= h,*tgt= src+S*n,*din= tgt+T*n,*sl= din+T*n;
int*rows= sl+n,k= 0;
/*226:*/
#line 4364 "attention.w"

for(int b= 0;b<n;b++){
const Example*e= &ex[idx?idx[b]:b];
for(int s= 0;s<S;s++)src[s*n+b]= s<e->src_len?e->src[s]:PAD_TOKEN;
for(int t= 0;t<T;t++)
din[t*n+b]= t==0?SOS_TOKEN:t<=e->tgt_len?e->tgt[t-1]:PAD_TOKEN;
sl[b]= e->src_len;
}
for(int t= 0;t<T;t++)
for(int b= 0;b<n;b++){
const Example*e= &ex[idx?idx[b]:b];
if(t<e->tgt_len)rows[k]= t*n+b,tgt[k++]= e->tgt[t];
}

/*:226*/
#line 4352 "attention.w"

const Backend*be= bm->be;
be->upload(bm->a.src,src,(size_t)(S*n)*sizeof(int));
be->upload(bm->a.tgt,tgt,(size_t)tokens*sizeof(int));
be->upload(bm->a.rows,rows,(size_t)tokens*sizeof(int));
be->upload(bm->a.dec_in,din,(size_t)(T*n)*sizeof(int));
be->upload(bm->a.src_len,sl,(size_t)n*sizeof(int));
free(h);
*bt= (Batch){n,S,T,tokens};
}

/*:225*//*236:*/
#line 4537 "attention.w"

void bmodel_forward(BModel*bm,const Batch*bt,float p)
{
const Backend*be= bm->be;
BActs*a= &bm->a;
int B= bt->B,H= bm->cfg.H,V= bm->cfg.V_out;
bm->step_p= p;
encoder_forward_b(bm,bt,p);
decoder_forward_b(bm,bt,p);
int n= bt->tokens;
be->gather_rows(a->o_real,decoder_output(bm)+(size_t)B*H,a->rows,n,H);
be->gemm(0,1,n,V,H,1.0f,a->o_real,H,PT(P_OUT_W),H,0.0f,a->logits,V);
be->add_bias(a->logits,PT(P_OUT_B),n,V);
be->nll(a->logits,a->row_loss,a->tgt,n,V,1.0f/(float)n);
be->sum(a->loss_acc,a->row_loss,n);
}

/*:236*//*237:*/
#line 4555 "attention.w"

double bmodel_take_loss(BModel*bm)
{
float s= 0.0f;
bm->be->download(&s,bm->a.loss_acc,sizeof s);
bm->be->zero(bm->a.loss_acc,sizeof(float));
return s;
}

/*:237*//*239:*/
#line 4584 "attention.w"

void bmodel_backward(BModel*bm,const Batch*bt)
{
const Backend*be= bm->be;
BActs*a= &bm->a;
int B= bt->B,S= bt->S,T= bt->T,H= bm->cfg.H,V= bm->cfg.V_out;
size_t bh= (size_t)B*H;
int n= bt->tokens;
be->gemm(0,0,n,H,V,1.0f,a->logits,V,PT(P_OUT_W),H,0.0f,a->d_emb,H);
be->zero(a->d_out,(size_t)T*bh*sizeof(float));
be->scatter_rows(a->d_out,a->d_emb,a->rows,n,H);
be->gemm(1,0,V,H,n,1.0f,a->logits,V,a->o_real,H,1.0f,GT(P_OUT_W),H);
bias_grad(bm,GT(P_OUT_B),a->logits,n,V);
/*240:*/
#line 4612 "attention.w"

be->zero(a->d_s,bh*sizeof(float));
be->zero(a->d_keys,(size_t)S*bh*sizeof(float));
be->zero(a->d_uk,(size_t)S*bh*sizeof(float));
be->zero(a->d_kp,(size_t)S*bh*sizeof(float));
be->zero(a->d_vp,(size_t)S*bh*sizeof(float));

/*:240*/
#line 4597 "attention.w"

for(int t= T-1;t>=0;t--){
if(bm->kind==KIND_BAHDANAU)/*241:*/
#line 4626 "attention.w"

{
size_t tb= (size_t)t*bh,G= 3*(size_t)H;
float*dgi= a->d_dec_gi+t*B*G,*dgh= a->d_dec_gh+t*B*G;
float*w= a->attw+(size_t)t*B*S,*dq= a->d_q+tb;
be->gru_backward(dgi,dgh,a->d_s2,a->d_s,a->d_out+tb,a->dec_h+tb,
a->dec_cache+tb,NULL,0,B,H);
be->gemm(0,0,B,H,3*H,1.0f,dgh,3*H,PT(P_DEC_W_HH),H,1.0f,a->d_s2,H);
be->gemm(0,0,B,H,3*H,1.0f,dgi,3*H,PT(P_DEC_W_IH)+H,2*H,0.0f,a->d_ctx,H);
be->context_backward(a->d_w,a->d_keys,a->d_ctx,w,a->keys,B,S,H,1);
be->softmax_backward(a->d_e,a->d_w,w,B,S);
be->additive_backward(dq,a->d_uk,GT(P_VA_W),a->d_e,a->add_a+tb*S,
PT(P_VA_W),B,S,H);
be->gemm(0,0,B,H,H,1.0f,dq,H,PT(P_WA_W),H,1.0f,a->d_s2,H);
}

/*:241*/
#line 4599 "attention.w"

else/*242:*/
#line 4648 "attention.w"

{
int mh= bm->kind==KIND_MULTIHEAD,nh= bm->heads;
size_t tb= (size_t)t*bh,G= 3*(size_t)H;
float*dgi= a->d_dec_gi+t*B*G,*dgh= a->d_dec_gh+t*B*G;
float*w= a->attw+(size_t)t*B*nh*S,*dpre= a->d_pre+tb,*dc= a->d_ctx+tb;
const float*Wc= PT(mh?P_COMBINE:P_LIN_OUT),*s_new= a->dec_h+tb+bh;
be->tanh_backward(dpre,a->d_out+tb,a->ht+tb+bh,B*H);
be->gemm(0,0,B,H,H,1.0f,dpre,H,Wc,2*H,0.0f,dc,H);
be->gemm(0,0,B,H,H,1.0f,dpre,H,Wc+H,2*H,1.0f,a->d_s,H);
/*243:*/
#line 4668 "attention.w"

const float*cg= dc,*K= mh?a->kp:a->keys,*Vv= mh?a->vp:a->keys;
const float*q= bm->kind==KIND_LUONG_DOT?s_new:a->q+tb;
float*dK= mh?a->d_kp:a->d_keys,*dV= mh?a->d_vp:a->d_keys,*dq= a->d_q+tb;
float scale= mh?1.0f/sqrtf((float)(H/nh)):1.0f;
if(mh){
be->gemm(0,0,B,H,H,1.0f,dc,H,PT(P_OUTPROJ_W),H,0.0f,a->d_mh,H);
cg= a->d_mh;
}
be->context_backward(a->d_w,dV,cg,w,Vv,B,S,H,nh);
be->softmax_backward(a->d_e,a->d_w,w,B*nh,S);
be->dot_backward(dq,dK,a->d_e,q,K,B,S,H,nh,scale);
if(bm->kind==KIND_LUONG_DOT)be->add(a->d_s,dq,B*H);
else be->gemm(0,0,B,H,H,1.0f,dq,H,PT(mh?P_INPROJ_W:P_LIN_IN),H,1.0f,a->d_s,H);

/*:243*/
#line 4658 "attention.w"

be->gru_backward(dgi,dgh,a->d_s2,a->d_s,NULL,a->dec_h+tb,a->dec_cache+tb,
NULL,0,B,H);
be->gemm(0,0,B,H,3*H,1.0f,dgh,3*H,PT(P_DEC_W_HH),H,1.0f,a->d_s2,H);
if(t> 0)
be->gemm(0,0,B,H,3*H,1.0f,dgi,3*H,PT(P_DEC_W_IH)+H,2*H,1.0f,
a->d_out+tb-bh,H);
}

/*:242*/
#line 4600 "attention.w"

float*x= a->d_s;
a->d_s= a->d_s2;
a->d_s2= x;
}
/*244:*/
#line 4688 "attention.w"

{
int G= 3*H,N= T*B;
const float*x2= bm->kind==KIND_BAHDANAU?a->ctx:a->ht;
be->gemm(1,0,G,H,N,1.0f,a->d_dec_gi,G,a->dec_e,H,1.0f,GT(P_DEC_W_IH),2*H);
be->gemm(1,0,G,H,N,1.0f,a->d_dec_gi,G,x2,H,1.0f,GT(P_DEC_W_IH)+H,2*H);
bias_grad(bm,GT(P_DEC_B_IH),a->d_dec_gi,N,G);
be->gemm(1,0,G,H,N,1.0f,a->d_dec_gh,G,a->dec_h,H,1.0f,GT(P_DEC_W_HH),H);
bias_grad(bm,GT(P_DEC_B_HH),a->d_dec_gh,N,G);
be->gemm(0,0,N,H,G,1.0f,a->d_dec_gi,G,PT(P_DEC_W_IH),2*H,0.0f,a->d_emb,H);
be->embed_backward(GT(P_DEC_EMB),a->d_emb,a->dec_in,N,H,bm->step_p,
mix64(bm->seed^(2*bm->step+1)));
}

/*:244*/
#line 4605 "attention.w"

/*245:*/
#line 4711 "attention.w"

{
int N= T*B,M= S*B;
if(bm->kind==KIND_BAHDANAU){
be->gemm(1,0,H,H,N,1.0f,a->d_q,H,a->dec_h,H,1.0f,GT(P_WA_W),H);
bias_grad(bm,GT(P_WA_B),a->d_q,N,H);
be->gemm(1,0,H,H,M,1.0f,a->d_uk,H,a->keys,H,1.0f,GT(P_UA_W),H);
bias_grad(bm,GT(P_UA_B),a->d_uk,M,H);
be->gemm(0,0,M,H,H,1.0f,a->d_uk,H,PT(P_UA_W),H,1.0f,a->d_keys,H);
}else{
int mh= bm->kind==KIND_MULTIHEAD;
float*dWc= GT(mh?P_COMBINE:P_LIN_OUT);
be->gemm(1,0,H,H,N,1.0f,a->d_pre,H,a->ctx,H,1.0f,dWc,2*H);
be->gemm(1,0,H,H,N,1.0f,a->d_pre,H,a->dec_h+bh,H,1.0f,dWc+H,2*H);
if(bm->kind==KIND_LUONG_GENERAL)
be->gemm(1,0,H,H,N,1.0f,a->d_q,H,a->dec_h+bh,H,1.0f,GT(P_LIN_IN),H);
if(mh)/*246:*/
#line 4735 "attention.w"

{
float*dW= GT(P_INPROJ_W),*db= GT(P_INPROJ_B);
const float*W= PT(P_INPROJ_W);
size_t HH= (size_t)H*H;
be->gemm(1,0,H,H,N,1.0f,a->d_ctx,H,a->mh,H,1.0f,GT(P_OUTPROJ_W),H);
bias_grad(bm,GT(P_OUTPROJ_B),a->d_ctx,N,H);
be->gemm(1,0,H,H,N,1.0f,a->d_q,H,a->dec_h+bh,H,1.0f,dW,H);
bias_grad(bm,db,a->d_q,N,H);
be->gemm(1,0,H,H,M,1.0f,a->d_kp,H,a->keys,H,1.0f,dW+HH,H);
be->gemm(1,0,H,H,M,1.0f,a->d_vp,H,a->keys,H,1.0f,dW+2*HH,H);
bias_grad(bm,db+2*H,a->d_vp,M,H);
be->gemm(0,0,M,H,H,1.0f,a->d_kp,H,W+HH,H,1.0f,a->d_keys,H);
be->gemm(0,0,M,H,H,1.0f,a->d_vp,H,W+2*HH,H,1.0f,a->d_keys,H);
}

/*:246*/
#line 4727 "attention.w"

}
}

/*:245*/
#line 4606 "attention.w"

encoder_backward_b(bm,bt);
}

/*:239*//*248:*/
#line 4782 "attention.w"

void bmodel_train_batch(BModel*bm,const Batch*bt,double lr)
{
bm->be->zero(bm->g,bm->n_params*sizeof(float));
bmodel_forward(bm,bt,bm->dropout);
bmodel_backward(bm,bt);
AdamConstants k= adam_constants(lr,0.9,0.999,1e-8,++bm->adam_t);
bm->be->adam(bm->p,bm->g,bm->m,bm->v,bm->n_params,k);
bm->step++;
}

/*:248*//*250:*/
#line 4808 "attention.w"

void bmodel_greedy(BModel*bm,const Example*ex,int n,int*out,int*out_len,
float*attn)
{
int L= bm->cfg.L;
for(int at= 0;at<n;at+= bm->B_cap){
int B= n-at<bm->B_cap?n-at:bm->B_cap;
Batch bt;
batch_upload(bm,ex+at,NULL,B,&bt);
/*251:*/
#line 4822 "attention.w"

const Backend*be= bm->be;
BActs*a= &bm->a;
int H= bm->cfg.H,V= bm->cfg.V_out,S= bt.S,nh= bm->heads,left= B;
int*tok= xcalloc((size_t)B,sizeof(int)),*len= out_len+at;
float*w= attn?xcalloc((size_t)(B*nh*S),sizeof(float)):NULL;
bm->step_p= 0.0f;
encoder_forward_b(bm,&bt,0.0f);
be->copy(a->dec_h,a->enc_h+(size_t)S*B*H,(size_t)B*H*sizeof(float));
be->zero(a->ht,(size_t)B*H*sizeof(float));
attention_precompute(bm,B,S);
for(int b= 0;b<B;b++)len[b]= 0,tok[b]= SOS_TOKEN;
if(attn)memset(attn+(size_t)at*L*L,0,(size_t)B*L*L*sizeof(float));
for(int t= 0;t<L&&left> 0;t++){
/*252:*/
#line 4843 "attention.w"

size_t tb= (size_t)t*B;
be->upload(a->dec_in+tb,tok,(size_t)B*sizeof(int));
decoder_logits_b(bm,B,S,t);
be->argmax(a->ids,a->logits,B,V);
be->download(tok,a->ids,(size_t)B*sizeof(int));
if(w)be->download(w,a->attw+tb*nh*S,(size_t)(B*nh*S)*sizeof(float));

/*:252*/
#line 4836 "attention.w"

/*254:*/
#line 4873 "attention.w"

for(int b= 0;b<B;b++){
if(len[b]<0)continue;
if(w){
float*row= attn+((size_t)(at+b)*L+t)*L;
for(int h= 0;h<nh;h++)
for(int s= 0;s<S;s++)row[s]+= w[((size_t)b*nh+h)*S+s]/(float)nh;
}
if(tok[b]==EOS_TOKEN){
len[b]= -len[b]-1;
left--;
}else out[(size_t)(at+b)*L+len[b]++]= tok[b];
if(len[b]==L)len[b]= -L-1,left--;
}
if(left==0||t==L-1)
for(int b= 0;b<B;b++)if(len[b]<0)len[b]= -len[b]-1;

/*:254*/
#line 4837 "attention.w"

}
free(tok);
free(w);

/*:251*/
#line 4817 "attention.w"

}
}

/*:250*//*304:*/
#line 5746 "attention.w"

static void bdec_encode(Decoder*d,const int*const*src,const int*len,int n_sent,
float*init)
{
BDecoder*bd= (BDecoder*)d;
BModel*bm= bd->bm;
const Backend*be= bm->be;
int H= bm->cfg.H,L= bm->cfg.L,F= d->state_floats,N= n_sent;
float**arr[2];
bdecoder_arrays(bm,arr);
for(int k= 0;k<2;k++){
be->release(bd->mem[k]);
bd->mem[k]= arr[k]?dev(bm,(size_t)L*N*H,sizeof(float)):NULL;
}
bd->len= xrealloc(bd->len,(size_t)(N?N:1)*sizeof(int));
memcpy(bd->len,len,(size_t)N*sizeof(int));
bd->n_sent= N;
memset(init,0,(size_t)N*F*sizeof(float));
/*305:*/
#line 5768 "attention.w"

Example*ex= xcalloc((size_t)bm->B_cap,sizeof*ex);
float*h0= xcalloc((size_t)bm->B_cap*H,sizeof(float));
for(int at= 0;at<N;at+= bm->B_cap){
int B= N-at<bm->B_cap?N-at:bm->B_cap;
for(int b= 0;b<B;b++){
memcpy(ex[b].src,src[at+b],(size_t)len[at+b]*sizeof(int));
ex[b].src_len= len[at+b];
ex[b].tgt[0]= EOS_TOKEN,ex[b].tgt_len= 1;
}
Batch bt;
batch_upload(bm,ex,NULL,B,&bt);
bm->step_p= 0.0f;
encoder_forward_b(bm,&bt,0.0f);
attention_precompute(bm,B,bt.S);
for(int k= 0;k<2;k++)
for(int s= 0;arr[k]&&s<bt.S;s++)
be->copy(bd->mem[k]+((size_t)s*N+at)*H,*arr[k]+(size_t)s*B*H,
(size_t)B*H*sizeof(float));
be->download(h0,bm->a.enc_h+(size_t)bt.S*B*H,(size_t)B*H*sizeof(float));
for(int b= 0;b<B;b++)
memcpy(init+(size_t)(at+b)*F,h0+(size_t)b*H,(size_t)H*sizeof(float));
}
free(ex);
free(h0);

/*:305*/
#line 5764 "attention.w"

}

/*:304*//*306:*/
#line 5796 "attention.w"

static void bdec_rows(BDecoder*bd,int n,const int*sent,const int*prev,
const float*state,float*logp,float*new_state,float*attn);
static void bdec_step(Decoder*d,int n,const int*sent,const int*prev,
const float*state,float*logp,float*new_state,float*attn)
{
BDecoder*bd= (BDecoder*)d;
int C= bd->bm->B_cap,F= d->state_floats,V= d->V,S= d->S;
for(int at= 0;at<n;at+= C)
bdec_rows(bd,n-at<C?n-at:C,sent+at,prev+at,state+(size_t)at*F,
logp+(size_t)at*V,new_state+(size_t)at*F,attn+(size_t)at*S);
}

/*:306*//*307:*/
#line 5813 "attention.w"

static void bdec_rows(BDecoder*bd,int n,const int*sent,const int*prev,
const float*state,float*logp,float*new_state,float*attn)
{
BModel*bm= bd->bm;
const Backend*be= bm->be;
BActs*a= &bm->a;
int H= bm->cfg.H,L= bm->cfg.L,V= bm->cfg.V_out,F= bd->d.state_floats;
float**arr[2];
bdecoder_arrays(bm,arr);
/*308:*/
#line 5833 "attention.w"

for(int j= 0;j<n;j++){
bd->h_len[j]= bd->len[sent[j]];
memcpy(bd->h_s+(size_t)j*H,state+(size_t)j*F,(size_t)H*sizeof(float));
if(F> H)
memcpy(bd->h_x+(size_t)j*H,state+(size_t)j*F+H,(size_t)H*sizeof(float));
}
be->upload(a->src_len,bd->h_len,(size_t)n*sizeof(int));
be->upload(bd->dsent,sent,(size_t)n*sizeof(int));
for(int k= 0;k<2;k++)
if(arr[k])be->gather_keys(*arr[k],bd->mem[k],bd->dsent,n,L,bd->n_sent,H);
be->upload(a->dec_h,bd->h_s,(size_t)n*H*sizeof(float));
if(F> H)be->upload(a->ht,bd->h_x,(size_t)n*H*sizeof(float));
be->upload(a->dec_in,prev,(size_t)n*sizeof(int));

/*:308*/
#line 5823 "attention.w"

decoder_logits_b(bm,n,L,0);
be->log_softmax(a->logits,n,V);
be->download(logp,a->logits,(size_t)n*V*sizeof(float));
for(int j= 0;j<n;j++)
logp[(size_t)j*V+PAD_TOKEN]= logp[(size_t)j*V+SOS_TOKEN]= -INFINITY;
/*309:*/
#line 5849 "attention.w"

int nh= bm->heads;
be->download(bd->h_s,a->dec_h+(size_t)n*H,(size_t)n*H*sizeof(float));
if(F> H)be->download(bd->h_x,a->ht+(size_t)n*H,(size_t)n*H*sizeof(float));
be->download(bd->h_w,a->attw,(size_t)n*nh*L*sizeof(float));
for(int j= 0;j<n;j++){
memcpy(new_state+(size_t)j*F,bd->h_s+(size_t)j*H,(size_t)H*sizeof(float));
if(F> H)
memcpy(new_state+(size_t)j*F+H,bd->h_x+(size_t)j*H,(size_t)H*sizeof(float));
float*row= attn+(size_t)j*L;
for(int s= 0;s<L;s++)row[s]= 0.0f;
for(int h= 0;h<nh;h++)
for(int s= 0;s<L;s++)row[s]+= bd->h_w[((size_t)j*nh+h)*L+s]/(float)nh;
}

/*:309*/
#line 5829 "attention.w"

}

/*:307*//*310:*/
#line 5866 "attention.w"

static void bdec_release(Decoder*d)
{
BDecoder*bd= (BDecoder*)d;
const Backend*be= bd->bm->be;
be->release(bd->mem[0]);
be->release(bd->mem[1]);
be->release(bd->dsent);
free(bd->len),free(bd->h_len),free(bd->h_s),free(bd->h_x),free(bd->h_w);
free(bd);
}

Decoder*bmodel_decoder(BModel*bm)
{
BDecoder*bd= xcalloc(1,sizeof*bd);
size_t C= (size_t)bm->B_cap,H= (size_t)bm->cfg.H,L= (size_t)bm->cfg.L;
bd->bm= bm;
bd->d= (Decoder){bm->cfg.V_out,bm->cfg.L,bm->kind==KIND_BAHDANAU?bm->cfg.H:
2*bm->cfg.H,SOS_TOKEN,EOS_TOKEN,UNK_TOKEN,bdec_encode,bdec_step,bdec_release};
bd->dsent= dev(bm,C,sizeof(int));
bd->h_len= xcalloc(C,sizeof(int));
bd->h_s= xcalloc(C*H,sizeof(float));
bd->h_x= xcalloc(C*H,sizeof(float));
bd->h_w= xcalloc(C*(size_t)bm->heads*L,sizeof(float));
return&bd->d;
}

/*:310*/
#line 3041 "attention.w"


/*:156*/
