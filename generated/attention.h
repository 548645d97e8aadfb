/*5:*/
#line 537 "attention.w"

#pragma once
/*6:*/
#line 547 "attention.w"

#include <stddef.h> 
#include <stdint.h> 
#include <stdio.h> 
#include <math.h> 

/*:6*//*376:*/
#line 7243 "attention.w"

#if defined(KIT_MVEC) && defined(__GNUC__) && !defined(__clang__) && !defined(__CUDACC__)
#define KIT_VECTOR_MATH __attribute__((__simd__("notinbranch")))
KIT_VECTOR_MATH float expf(float);
KIT_VECTOR_MATH float tanhf(float);
#endif
#line 7249 "attention.w"

/*:376*/
#line 539 "attention.w"

/*7:*/
#line 560 "attention.w"

#define SOS_TOKEN 0
#define EOS_TOKEN 1
#define DEFAULT_HIDDEN 128
#define DEFAULT_MAX_LENGTH 10
#define MAX_WORD_BYTES 1024
#define ROW_BLOCK 4096 

/*:7*//*8:*/
#line 574 "attention.w"

#ifdef __CUDACC__
#define KIT_HD __host__ __device__
#define KIT_RESTRICT __restrict__
#else
#line 579 "attention.w"
#define KIT_HD
#define KIT_RESTRICT restrict
#endif
#line 582 "attention.w"

/*:8*//*36:*/
#line 994 "attention.w"

#define FILTER_TUTORIAL 0
#define FILTER_LENGTH 1

/*:36*//*154:*/
#line 3024 "attention.w"

enum{KIND_SEED,KIND_BAHDANAU,KIND_LUONG_DOT,KIND_LUONG_GENERAL,
KIND_MULTIHEAD,N_KINDS};
#define PAD_TOKEN 2
#define UNK_TOKEN 3

/*:154*/
#line 540 "attention.w"

/*9:*/
#line 599 "attention.w"

typedef struct{
char**word;
int n;
int cap;
int*slot;
int nslot;
}Vocab;

/*:9*//*25:*/
#line 809 "attention.w"

typedef struct{
char*src,*tgt;
int line;
}Pair;
typedef struct{
Pair*pair;
int n,cap;
char*origin;
long lines_read,dropped;
}PairList;

/*:25*//*43:*/
#line 1112 "attention.w"

typedef struct{
int src[DEFAULT_MAX_LENGTH*4],tgt[DEFAULT_MAX_LENGTH*4];
int src_len,tgt_len;
}Example;

/*:43*//*47:*/
#line 1168 "attention.w"

typedef struct{
int V_in,V_out;
int H;
int L;
}Config;

/*:47*//*48:*/
#line 1188 "attention.w"

enum{ENC_EMB,ENC_W_IH,ENC_W_HH,ENC_B_IH,ENC_B_HH,DEC_EMB,ATTN_W,ATTN_B,
COMB_W,COMB_B,DEC_W_IH,DEC_W_HH,DEC_B_IH,DEC_B_HH,OUT_W,OUT_B,
N_TENSORS};
typedef union{
struct{
float*enc_emb,*enc_w_ih,*enc_w_hh,*enc_b_ih,*enc_b_hh;
float*dec_emb,*attn_w,*attn_b,*comb_w,*comb_b;
float*dec_w_ih,*dec_w_hh,*dec_b_ih,*dec_b_hh,*out_w,*out_b;
};
float*t[N_TENSORS];
}Tensors;
typedef struct{
const char*name;
int rows,cols;
}TensorSpec;

/*:48*//*73:*/
#line 1655 "attention.w"

typedef struct{
float r,z,n,ghn;
}GruCache;

/*:73*//*121:*/
#line 2461 "attention.w"

typedef struct{
int weight;
const float*dout,*inp;
int B,C,OC;
}Deferred;
#define N_DEFERRED 7
#define N_DEC_DEFERRED 5 
#define N_ENC_DEFERRED (N_DEFERRED - N_DEC_DEFERRED) 

/*:121*//*130:*/
#line 2650 "attention.w"

typedef struct{
float b1,a1,b2,a2;
float step;
float inv_bc2;
float eps;
}AdamConstants;

/*:130*//*163:*/
#line 3296 "attention.w"

typedef struct{
int B,S,T;
int tokens;
}Batch;

/*:163*//*164:*/
#line 3321 "attention.w"

typedef struct Backend Backend;
struct Backend{
const char*name;
void*(*alloc)(size_t bytes);
void(*release)(void*p);
void(*upload)(void*dst,const void*src,size_t bytes);
void(*download)(void*dst,const void*src,size_t bytes);
void(*copy)(void*dst,const void*src,size_t bytes);
void(*zero)(void*p,size_t bytes);
void(*gemm)(int ta,int tb,int M,int N,int K,float alpha,const float*A,
int lda,const float*B,int ldb,float beta,float*C,int ldc);
/*165:*/
#line 3348 "attention.w"

void(*embed)(float*out,const float*table,const int*ids,int n,int H,
float p,uint64_t seed);
void(*embed_backward)(float*dtable,const float*dout,const int*ids,int n,int H,
float p,uint64_t seed);
void(*add_bias)(float*y,const float*b,int n,int m);
void(*gather_rows)(float*dst,const float*src,const int*rows,int n,int m);
void(*scatter_rows)(float*dst,const float*src,const int*rows,int n,int m);
void(*gru_forward)(float*h_new,GruCache*cache,const float*gi,const float*gh,
const float*h,float*out,const int*len,int s,int B,int H);
void(*gru_backward)(float*dgi,float*dgh,float*dh_prev,const float*dh_new,
const float*dout,const float*h,const GruCache*cache,const int*len,int s,
int B,int H);

/*:165*//*166:*/
#line 3363 "attention.w"

void(*additive_scores)(float*e,float*a,const float*wq,const float*uk,
const float*va,int B,int S,int H);
void(*additive_backward)(float*dwq,float*duk,float*dva,const float*de,
float*a,const float*va,int B,int S,int H);
void(*dot_scores)(float*e,const float*q,const float*k,int B,int S,int H,
int heads,float scale);
void(*dot_backward)(float*dq,float*dk,const float*de,const float*q,
const float*k,int B,int S,int H,int heads,float scale);
void(*masked_softmax)(float*w,const float*e,const int*len,int B,int heads,int S);
void(*softmax_backward)(float*de,const float*dw,const float*w,int rows,int S);
void(*context)(float*c,const float*w,const float*v,int B,int S,int H,int heads);
void(*context_backward)(float*dw,float*dv,const float*dc,const float*w,
const float*v,int B,int S,int H,int heads);

/*:166*//*167:*/
#line 3379 "attention.w"

void(*tanh_forward)(float*y,const float*x,int n);
void(*tanh_backward)(float*dx,const float*dy,const float*y,int n);
void(*nll)(float*logits,float*row_loss,const int*tgt,int n,int V,float scale);
void(*log_softmax)(float*x,int n,int V);
void(*argmax)(int*out,const float*x,int n,int V);
void(*sum)(float*acc,const float*x,int n);
void(*add)(float*y,const float*x,int n);
void(*adam)(float*p,const float*g,float*m,float*v,size_t n,AdamConstants k);

/*:167*//*301:*/
#line 5709 "attention.w"

void(*gather_keys)(float*dst,const float*src,const int*sent,int n,int S,int N,
int H);

/*:301*/
#line 3333 "attention.w"

};

/*:164*//*211:*/
#line 4121 "attention.w"

enum{P_ENC_EMB,P_ENC_W_IH,P_ENC_W_HH,P_ENC_B_IH,P_ENC_B_HH,P_DEC_EMB,
P_WA_W,P_WA_B,P_UA_W,P_UA_B,P_VA_W,P_VA_B,P_LIN_IN,P_LIN_OUT,
P_INPROJ_W,P_INPROJ_B,P_OUTPROJ_W,P_OUTPROJ_B,
P_DEC_W_IH,P_DEC_W_HH,P_DEC_B_IH,P_DEC_B_HH,P_COMBINE,P_OUT_W,P_OUT_B,
NP_TENSORS};

/*:211*//*214:*/
#line 4169 "attention.w"

typedef struct{
int*src,*tgt,*dec_in,*src_len,*ids,*rows;
float*enc_x,*enc_gi,*gh,*enc_h,*keys,*uk,*kp,*vp;
GruCache*enc_cache,*dec_cache;
float*dec_e,*dec_gi,*dec_h,*wq,*add_a,*q,*scores,*attw,*ctx,*mh,*ht;
float*logits,*row_loss,*loss_acc,*ones,*o_real;
float*d_out,*d_dec_gi,*d_dec_gh,*d_s,*d_s2,*d_pre,*d_ctx,*d_w,*d_e,*d_q;
float*d_keys,*d_uk,*d_kp,*d_vp,*d_mh,*d_enc_gi,*d_enc_gh,*d_emb;
}BActs;

/*:214*//*215:*/
#line 4182 "attention.w"

typedef struct{
int kind,heads;
Config cfg;
Vocab vin,vout;
const Backend*be;
TensorSpec spec[NP_TENSORS];
size_t off[NP_TENSORS],n_params;
float*p,*g,*m,*v;
long adam_t;
float dropout,step_p;
uint64_t seed,step;
int B_cap;
BActs a;
}BModel;

/*:215*//*258:*/
#line 4947 "attention.w"

typedef struct Decoder{
int V,S,state_floats;
int sos,eos,unk;
void(*encode)(struct Decoder*d,const int*const*src,const int*len,int n_sent,
float*init_state);
void(*step)(struct Decoder*d,int n,const int*sent,const int*prev,
const float*state,float*logp,float*new_state,float*attn);
void(*release)(struct Decoder*d);
}Decoder;

/*:258*//*266:*/
#line 5093 "attention.w"

typedef struct{
int len;
int ended;
double logprob,score;
int*word;
float*attn;
}Hypothesis;
typedef struct{
int beam,max_length,n_best;
int penalty;
double alpha;
}BeamOptions;
enum{LP_NONE,LP_AVG,LP_WU};

/*:266*//*287:*/
#line 5453 "attention.w"

typedef struct{
long match[4],total[4];
long hyp_len,ref_len;
long sentences;
}BleuStats;
typedef struct{
double bleu,p[4],bp,ratio;
}BleuScore;

/*:287*//*392:*/
#line 7602 "attention.w"

typedef struct{
int kind,heads;
const Config*cfg;
const Vocab*vin,*vout;
int n;
const TensorSpec*spec;
const float*data;
size_t n_params;
}CkptView;

/*:392*//*422:*/
#line 8209 "attention.w"

#define COLORMAP_MAX_POINTS 9
typedef struct{
const char*name;
int n[3];
double x[3][COLORMAP_MAX_POINTS];
double v[3][COLORMAP_MAX_POINTS];
}Colormap;

/*:422*//*430:*/
#line 8312 "attention.w"

enum{HEATMAP_MATPLOTLIB,HEATMAP_SEABORN};
typedef struct{
int rows,cols;
const float*w;
int stride;
const char*const*row_words,*const*col_words;
const char*title;
const Colormap*cm;
int style;
double vmin,vmax;
}Heatmap;

/*:430*//*431:*/
#line 8329 "attention.w"

typedef struct{
double x,y,w,h;
}FigBox;
typedef struct{
double width,height;
FigBox cells,colorbar;
double vmin,vmax;
}HeatmapLayout;
typedef struct{
int width,height,stride;
unsigned char*data;
}FigImage;

/*:431*//*464:*/
#line 8975 "attention.w"

enum{FIGURE_PNG,FIGURE_PDF,FIGURE_SVG};
#define FIGURE_PNG_SCALE 2.0

/*:464*//*478:*/
#line 9239 "attention.w"

typedef struct{
int n;
const double*x,*y;
const char*title,*xlabel,*ylabel;
}Curve;

/*:478*/
#line 541 "attention.w"

/*53:*/
#line 1270 "attention.w"

/*84:*/
#line 1780 "attention.w"

typedef struct{
float*eh,*scores,*w,*ec,*pre,*o,*gi,*gh,*h;
GruCache*cache;
}DecoderStep;
typedef struct{
int T_tgt;
int dec_in[DEFAULT_MAX_LENGTH*4];
float*enc_x;
float*enc_gi,*enc_gh;
GruCache*enc_cache;
float*enc_h;
float*enc_out;
/*92:*/
#line 1927 "attention.w"

float*dec_eh,*dec_scores,*dec_w,*dec_ec,*dec_pre,*dec_o,*dec_gi,*dec_gh;
GruCache*dec_cache;
float*dec_h;
float*logits,*logp;

/*:92*/
#line 1793 "attention.w"

/*118:*/
#line 2406 "attention.w"

float*d_logits;
float*d_hout;
float*d_dec_gi,*d_dec_gh;
float*d_pre;
float*d_scores;
float*d_dec_e;
float*d_enc_out;
float*d_enc_gi,*d_enc_gh;
float*d_enc_x;
float*d_h,*d_hprev,*d_o,*d_ec,*d_eh;
float*d_enc_h,*d_enc_hprev;
float*d_rows,*d_enc_rows;

/*:118*/
#line 1794 "attention.w"

}Activations;

/*:84*/
#line 1271 "attention.w"

typedef struct{
Config cfg;
Vocab vin,vout;
size_t n_params;
float*param_mem,*grad_mem,*m_mem,*v_mem;
Tensors params,grads;
long adam_t;
Activations act;
struct Pipeline*pipeline;
}Model;

/*:53*//*259:*/
#line 4965 "attention.w"

typedef struct{
Decoder d;
Model*m;
float*enc_out;
int cap;
float*eh,*scores,*ec,*pre,*o,*gi,*gh,*logits;
GruCache*cache;
}SeedDecoder;

/*:259*/
#line 542 "attention.w"

/*74:*/
#line 1662 "attention.w"

KIT_HD static inline float sigmoidf_(float a)
{
return 1.0f/(1.0f+expf(-a));
}

KIT_HD static inline float gru_unit_forward(float gir,float giz,float gin,
float ghr,float ghz,float ghn,float h,GruCache*c)
{
/*75:*/
#line 1675 "attention.w"

c->r= sigmoidf_(gir+ghr);
c->z= sigmoidf_(giz+ghz);
c->ghn= ghn;
c->n= tanhf(gin+c->r*ghn);
return(1.0f-c->z)*c->n+c->z*h;

/*:75*/
#line 1671 "attention.w"

}

/*:74*//*109:*/
#line 2201 "attention.w"

KIT_HD static inline void gru_unit_backward(float dh_new,float h,const GruCache*c,
float*dgir,float*dgiz,float*dgin,float*dghn,float*dh)
{
/*110:*/
#line 2209 "attention.w"

float dn= dh_new*(1.0f-c->z);
float dz= dh_new*(h-c->n);
float dan= dn*(1.0f-c->n*c->n);
float dr= dan*c->ghn;
*dgir= dr*c->r*(1.0f-c->r);
*dgiz= dz*c->z*(1.0f-c->z);
*dgin= dan;
*dghn= dan*c->r;
*dh+= dh_new*c->z;

/*:110*/
#line 2205 "attention.w"

}

/*:109*//*168:*/
#line 3402 "attention.w"

KIT_HD static inline float dropout_scale(uint64_t seed,uint64_t i,float p)
{
if(p<=0.0f)return 1.0f;
uint64_t z= seed+0x9e3779b97f4a7c15ULL*(i+1);
z= (z^(z>>30))*0xbf58476d1ce4e5b9ULL;
z= (z^(z>>27))*0x94d049bb133111ebULL;
z^= z>>31;
float u= (float)(z>>40)*(1.0f/16777216.0f);
return u<p?0.0f:1.0f/(1.0f-p);
}

KIT_HD static inline void kb_embed(int r,int j,float*out,const float*table,
const int*ids,int H,float p,uint64_t seed)
{
size_t i= (size_t)r*H+j;
out[i]= table[(size_t)ids[r]*H+j]*dropout_scale(seed,(uint64_t)i,p);
}

/*:168*//*169:*/
#line 3425 "attention.w"

KIT_HD static inline void kb_embed_backward(int j,float*dtable,const float*dout,
const int*ids,int n,int H,float p,uint64_t seed)
{
for(int r= 0;r<n;r++){
size_t i= (size_t)r*H+j;
dtable[(size_t)ids[r]*H+j]+= dout[i]*dropout_scale(seed,i,p);
}
}

/*:169*//*170:*/
#line 3438 "attention.w"

KIT_HD static inline void kb_add_bias(int r,int j,float*y,const float*b,int m)
{
y[(size_t)r*m+j]+= b[j];
}

/*:170*//*171:*/
#line 3446 "attention.w"

KIT_HD static inline void kb_gather_rows(int r,int j,float*dst,const float*src,
const int*rows,int m)
{
dst[(size_t)r*m+j]= src[(size_t)rows[r]*m+j];
}

KIT_HD static inline void kb_scatter_rows(int r,int j,float*dst,const float*src,
const int*rows,int m)
{
dst[(size_t)rows[r]*m+j]= src[(size_t)r*m+j];
}

/*:171*//*172:*/
#line 3464 "attention.w"

KIT_HD static inline void kb_gru_forward(int b,int j,float*h_new,GruCache*cache,
const float*gi,const float*gh,const float*h,float*out,const int*len,
int s,int H)
{
size_t i= (size_t)b*H+j;
const float*x= gi+(size_t)b*3*H,*y= gh+(size_t)b*3*H;
if(len&&s>=len[b]){
h_new[i]= h[i];
if(out)out[i]= 0.0f;
return;
}
h_new[i]= gru_unit_forward(x[j],x[H+j],x[2*H+j],y[j],y[H+j],
y[2*H+j],h[i],&cache[i]);
if(out)out[i]= h_new[i];
}

/*:172*//*173:*/
#line 3485 "attention.w"

KIT_HD static inline void kb_gru_backward(int b,int j,float*dgi,float*dgh,
float*dh_prev,const float*dh_new,const float*dout,const float*h,
const GruCache*cache,const int*len,int s,int H)
{
size_t i= (size_t)b*H+j;
float*x= dgi+(size_t)b*3*H,*y= dgh+(size_t)b*3*H;
if(len&&s>=len[b]){
x[j]= x[H+j]= x[2*H+j]= y[j]= y[H+j]= y[2*H+j]= 0.0f;
dh_prev[i]= dh_new[i];
return;
}
float d= dh_new[i]+(dout?dout[i]:0.0f),dh= 0.0f;
gru_unit_backward(d,h[i],&cache[i],&x[j],&x[H+j],&x[2*H+j],&y[2*H+j],&dh);
y[j]= x[j];
y[H+j]= x[H+j];
dh_prev[i]= dh;
}

/*:173*//*174:*/
#line 3511 "attention.w"

KIT_HD static inline void kb_additive_score(int i,float*e,float*KIT_RESTRICT a,
const float*KIT_RESTRICT wq,const float*KIT_RESTRICT uk,const float*va,int B,int S,
int H)
{
/*175:*/
#line 3521 "attention.w"

int b= i/S,s= i%S;
const float*q= wq+(size_t)b*H,*k= uk+((size_t)s*B+b)*H;
float*ai= a+(size_t)i*H,sum= 0.0f;
for(int j= 0;j<H;j++)ai[j]= tanhf(q[j]+k[j]);
for(int j= 0;j<H;j++)sum+= va[j]*ai[j];
e[i]= sum;

/*:175*/
#line 3516 "attention.w"

}

/*:174*//*176:*/
#line 3534 "attention.w"

KIT_HD static inline void kb_additive_pre(int r,int j,float*a,const float*de,
const float*va,int H)
{
/*177:*/
#line 3554 "attention.w"

float x= a[(size_t)r*H+j];
a[(size_t)r*H+j]= de[r]*va[j]*(1.0f-x*x);

/*:177*/
#line 3538 "attention.w"

}

KIT_HD static inline void kb_additive_dwq(int b,int j,float*dwq,const float*dpre,
int S,int H)
{
/*178:*/
#line 3559 "attention.w"

float s= 0.0f;
for(int p= 0;p<S;p++)s+= dpre[((size_t)b*S+p)*H+j];
dwq[(size_t)b*H+j]= s;

/*:178*/
#line 3544 "attention.w"

}

KIT_HD static inline void kb_additive_duk(int r,int j,float*duk,const float*dpre,
int B,int S,int H)
{
/*179:*/
#line 3565 "attention.w"

int s= r/B,b= r%B;
duk[(size_t)r*H+j]+= dpre[((size_t)b*S+s)*H+j];

/*:179*/
#line 3550 "attention.w"

}

/*:176*//*181:*/
#line 3586 "attention.w"

KIT_HD static inline void kb_dot_score(int i,float*e,const float*q,const float*k,
int B,int S,int H,int heads,float scale)
{
int s= i%S,h= (i/S)%heads,b= i/(S*heads),d= H/heads;
const float*x= q+(size_t)b*H+h*d,*y= k+((size_t)s*B+b)*H+h*d;
float sum= 0.0f;
for(int j= 0;j<d;j++)sum+= x[j]*y[j];
e[i]= scale*sum;
}

/*:181*//*182:*/
#line 3599 "attention.w"

KIT_HD static inline void kb_dot_dq(int b,int c,float*dq,const float*de,
const float*k,int B,int S,int H,int heads,float scale)
{
const float*d= de+((size_t)b*heads+c/(H/heads))*S;
float sum= 0.0f;
for(int s= 0;s<S;s++)sum+= d[s]*k[((size_t)s*B+b)*H+c];
dq[(size_t)b*H+c]= scale*sum;
}

KIT_HD static inline void kb_dot_dk(int r,int c,float*dk,const float*de,
const float*q,int B,int S,int H,int heads,float scale)
{
int s= r/B,b= r%B,h= c/(H/heads);
dk[(size_t)r*H+c]+= scale*de[((size_t)b*heads+h)*S+s]*q[(size_t)b*H+c];
}

/*:182*//*183:*/
#line 3619 "attention.w"

KIT_HD static inline void kb_masked_softmax(int r,float*w,const float*e,
const int*len,int heads,int S)
{
/*184:*/
#line 3628 "attention.w"

int n= len[r/heads];
const float*x= e+(size_t)r*S;
float*y= w+(size_t)r*S,mx= x[0],sum= 0.0f;
for(int s= 1;s<n;s++)if(x[s]> mx)mx= x[s];
for(int s= 0;s<n;s++)sum+= (y[s]= expf(x[s]-mx));
for(int s= 0;s<S;s++)y[s]= s<n?y[s]/sum:0.0f;

/*:184*/
#line 3623 "attention.w"

}

/*:183*//*186:*/
#line 3650 "attention.w"

KIT_HD static inline void kb_softmax_backward(int r,float*de,const float*dw,
const float*w,int S)
{
const float*x= dw+(size_t)r*S,*y= w+(size_t)r*S;
float avg= 0.0f;
for(int s= 0;s<S;s++)avg+= y[s]*x[s];
for(int s= 0;s<S;s++)de[(size_t)r*S+s]= y[s]*(x[s]-avg);
}

/*:186*//*188:*/
#line 3682 "attention.w"

KIT_HD static inline void kb_context(int b,int col,float*c,const float*w,
const float*v,int B,int S,int H,int heads)
{
const float*x= w+((size_t)b*heads+col/(H/heads))*S;
float sum= 0.0f;
for(int s= 0;s<S;s++)sum+= x[s]*v[((size_t)s*B+b)*H+col];
c[(size_t)b*H+col]= sum;
}

KIT_HD static inline void kb_context_dw(int i,float*dw,const float*dc,const float*v,
int B,int S,int H,int heads)
{
int s= i%S,h= (i/S)%heads,b= i/(S*heads),d= H/heads;
const float*x= dc+(size_t)b*H+h*d,*y= v+((size_t)s*B+b)*H+h*d;
float sum= 0.0f;
for(int j= 0;j<d;j++)sum+= x[j]*y[j];
dw[i]= sum;
}

KIT_HD static inline void kb_context_dv(int r,int c,float*dv,const float*dc,
const float*w,int B,int S,int H,int heads)
{
int s= r/B,b= r%B,h= c/(H/heads);
dv[(size_t)r*H+c]+= w[((size_t)b*heads+h)*S+s]*dc[(size_t)b*H+c];
}

/*:188*//*189:*/
#line 3715 "attention.w"

KIT_HD static inline void kb_nll(int r,float*logits,float*row_loss,const int*tgt,
int V,float scale)
{
float*x= logits+(size_t)r*V,mx= x[0],sum= 0.0f;
int y= tgt[r];
for(int j= 1;j<V;j++)if(x[j]> mx)mx= x[j];
float xy= x[y]-mx;
for(int j= 0;j<V;j++)x[j]= expf(x[j]-mx);
for(int j= 0;j<V;j++)sum+= x[j];
row_loss[r]= logf(sum)-xy;
float k= scale/sum;
for(int j= 0;j<V;j++)x[j]*= k;
x[y]-= scale;
}

/*:189*//*190:*/
#line 3733 "attention.w"

KIT_HD static inline void kb_log_softmax(int r,float*x,int V)
{
float*y= x+(size_t)r*V,mx= y[0],sum= 0.0f;
for(int j= 1;j<V;j++)if(y[j]> mx)mx= y[j];
for(int j= 0;j<V;j++)sum+= expf(y[j]-mx);
float lse= mx+logf(sum);
for(int j= 0;j<V;j++)y[j]-= lse;
}

KIT_HD static inline void kb_argmax(int r,int*out,const float*x,int V)
{
const float*y= x+(size_t)r*V;
int best= 0;
for(int j= 1;j<V;j++)if(y[j]> y[best])best= j;
out[r]= best;
}

/*:190*//*191:*/
#line 3754 "attention.w"

KIT_HD static inline void kb_tanh(int i,float*y,const float*x)
{
y[i]= tanhf(x[i]);
}

KIT_HD static inline void kb_tanh_backward(int i,float*dx,const float*dy,const float*y)
{
dx[i]= dy[i]*(1.0f-y[i]*y[i]);
}

/*:191*//*192:*/
#line 3767 "attention.w"

KIT_HD static inline void kb_adam(size_t i,float*p,const float*g,float*m,float*v,
AdamConstants c)
{
float mi= c.b1*m[i]+c.a1*g[i],vi= c.b2*v[i]+c.a2*g[i]*g[i];
m[i]= mi;
v[i]= vi;
p[i]-= c.step*mi/(sqrtf(vi)*c.inv_bc2+c.eps);
}

KIT_HD static inline void kb_add(int i,float*y,const float*x)
{
y[i]+= x[i];
}

KIT_HD static inline void kb_sum(float*acc,const float*x,int n)
{
float s= 0.0f;
for(int i= 0;i<n;i++)s+= x[i];
acc[0]+= s;
}

/*:192*//*300:*/
#line 5700 "attention.w"

KIT_HD static inline void kb_gather_keys(int r,int j,float*dst,const float*src,
const int*sent,int n,int N,int H)
{
int s= r/n,h= r%n;
dst[(size_t)r*H+j]= src[((size_t)s*N+sent[h])*H+j];
}

/*:300*/
#line 543 "attention.w"

/*20:*/
#line 744 "attention.w"

void vocab_init(Vocab*v);
void vocab_free(Vocab*v);
int vocab_find(const Vocab*v,const char*w);
int vocab_add(Vocab*v,const char*w);
void vocab_add_sentence(Vocab*v,const char*s);

/*:20*//*23:*/
#line 792 "attention.w"

int tokenize(const Vocab*v,const char*s,int*ids,int max,
const char*where,const char*language);

/*:23*//*29:*/
#line 869 "attention.w"

void pairs_seed(PairList*pl);
void pairs_free(PairList*pl);
void pairs_vocabularies(const PairList*pl,Vocab*vin,Vocab*vout);

/*:29*//*35:*/
#line 970 "attention.w"

char*normalize_sentence(const char*s,size_t len,size_t*bad);

/*:35*//*42:*/
#line 1102 "attention.w"

int pairs_read(PairList*pl,const char*path,int filter,int max_length);

/*:42*//*46:*/
#line 1158 "attention.w"

int make_examples(const PairList*pl,const Vocab*vin,const Vocab*vout,
int max_length,int append_eos,Example**out);

/*:46*//*52:*/
#line 1262 "attention.w"

void tensor_specs(const Config*c,TensorSpec s[N_TENSORS]);
size_t spec_numel(const TensorSpec*s);
size_t tensors_point(Tensors*t,float*mem,const Config*c);

/*:52*//*55:*/
#line 1309 "attention.w"

void model_alloc(Model*m,const Config*c,Vocab*vin,Vocab*vout);
void model_free(Model*m);

/*:55*//*59:*/
#line 1366 "attention.w"

void model_init_random(Model*m,uint64_t seed);
double random_normal(unsigned short xs[3]);

/*:59*//*71:*/
#line 1538 "attention.w"

void embedding_forward(float*out,const float*table,const int*ids,int B,int H);
void linear_forward(float*out,const float*inp,const float*weight,
const float*bias,int B,int C,int OC);
void relu_forward(float*out,const float*inp,int n);
void softmax_forward(float*out,const float*inp,int B,int n);
void log_softmax_forward(float*out,const float*inp,int B,int n);
float nll_forward(const float*logp,const int*target,int B,int V);

/*:71*//*79:*/
#line 1714 "attention.w"

void gru_cell_forward(float*h_new,GruCache*cache,const float*gi,
const float*gh,const float*h,int B,int H);

/*:79*//*83:*/
#line 1761 "attention.w"

void attention_forward(float*w,float*ctx,const float*scores,
const float*enc_out,int B,int L,int H);

/*:83*//*88:*/
#line 1841 "attention.w"

void activations_alloc(Activations*a,const Config*c);
void activations_free(Activations*a);

/*:88*//*90:*/
#line 1870 "attention.w"

void encoder_forward(Model*m,const int*src,int T);

/*:90*//*97:*/
#line 1985 "attention.w"

DecoderStep decoder_step(const Activations*a,const Config*c,int t);
void decoder_step_forward(const Model*m,int token,const float*h_prev,
const float*enc_out,const DecoderStep*s);

/*:97*//*99:*/
#line 2034 "attention.w"

float seq2seq_forward(Model*m,const Example*ex);
float decoder_forward(Model*m,const Example*ex);

/*:99*//*108:*/
#line 2164 "attention.w"

void nll_backward(float*dlogits,const float*logp,const int*target,int B,int V);
void linear_backward(float*dinp,float*dweight,float*dbias,
const float*dout,const float*inp,const float*weight,int B,int C,int OC);
void relu_backward(float*dinp,const float*dout,const float*inp,int n);
void outer_products(float*dw,const float*dy,int stride,
const float*x,int B,int C,int rows,int add);
void embedding_backward(float*dtable,const float*dout,const int*ids,int B,int H);

/*:108*//*113:*/
#line 2244 "attention.w"

void gru_cell_backward(float*dgi,float*dgh,float*dh,const float*dh_new,
const float*h,const GruCache*cache,int B,int H);

/*:113*//*117:*/
#line 2297 "attention.w"

void attention_backward(float*dscores,float*denc_out,const float*dctx,
const float*w,const float*enc_out,int B,int L,int H);

/*:117*//*125:*/
#line 2526 "attention.w"

void seq2seq_backward_deferred(Model*m,const Example*ex,Deferred d[N_DEFERRED]);
void decoder_backward(Model*m,const Example*ex,Deferred d[N_DEC_DEFERRED]);
void encoder_backward(Model*m,const Example*ex,Deferred d[N_ENC_DEFERRED]);
void seq2seq_backward(Model*m,const Example*ex);

/*:125*//*145:*/
#line 2891 "attention.w"

int argmax(const float*x,int n);
int greedy_decode(Model*m,const int*src,int T,int*out,float*attn);

/*:145*//*155:*/
#line 3030 "attention.w"

extern const char*const kind_names[N_KINDS];
int kind_from_name(const char*s);

/*:155*//*162:*/
#line 3162 "attention.w"

void pairs_vocabularies_unk(const PairList*pl,int min_count,Vocab*vin,Vocab*vout);
int tokenize_unk(const Vocab*v,const char*s,int*ids,int max,int*unknown);
int make_examples_unk(const PairList*pl,const Vocab*vin,const Vocab*vout,
int max_length,Example**out);

/*:162*//*210:*/
#line 4108 "attention.w"

extern const Backend cpu_backend;
void cpu_set_threads(int n);

/*:210*//*222:*/
#line 4295 "attention.w"

void batched_specs(int kind,const Config*c,TensorSpec s[NP_TENSORS]);
void bmodel_alloc(BModel*bm,const Backend*be,int kind,int heads,const Config*c,
Vocab*vin,Vocab*vout,int B_cap);
void bmodel_free(BModel*bm);

/*:222*//*224:*/
#line 4332 "attention.w"

void bmodel_init_random(BModel*bm,uint64_t seed);

/*:224*//*227:*/
#line 4378 "attention.w"

void batch_upload(BModel*bm,const Example*ex,const int*idx,int n,Batch*bt);

/*:227*//*238:*/
#line 4564 "attention.w"

void bmodel_forward(BModel*bm,const Batch*bt,float p);
double bmodel_take_loss(BModel*bm);

/*:238*//*249:*/
#line 4793 "attention.w"

void bmodel_backward(BModel*bm,const Batch*bt);
void bmodel_train_batch(BModel*bm,const Batch*bt,double lr);

/*:249*//*255:*/
#line 4890 "attention.w"

void bmodel_greedy(BModel*bm,const Example*ex,int n,int*out,int*out_len,
float*attn);

/*:255*//*265:*/
#line 5067 "attention.w"

Decoder*model_decoder(Model*m);

/*:265*//*268:*/
#line 5128 "attention.w"

double length_penalty(const BeamOptions*o,int steps);

/*:268*//*283:*/
#line 5369 "attention.w"

void beam_search(Decoder*d,int n_sent,const float*init,const BeamOptions*o,
Hypothesis*out,int*found);
void hypotheses_free(Hypothesis*h,int n);

/*:283*//*285:*/
#line 5400 "attention.w"

char*hypothesis_words(const Decoder*d,const Vocab*vout,const Hypothesis*y,
char*const*src_words,int src_len,int replace_unk);

/*:285*//*295:*/
#line 5582 "attention.w"

int ngram_count(const int*s,int len,const int*g,int n);
void ngram_matches(const int*hyp,int h,const int*const*refs,const int*ref_len,
int n_refs,int n,long*match,long*total);
void bleu_add(BleuStats*b,const int*hyp,int h,const int*const*refs,
const int*ref_len,int n_refs);
BleuScore bleu_score(const BleuStats*b);
void bleu_format(const BleuStats*b,char*buf,size_t size);
int words_intern(Vocab*v,const char*s,int**ids);

/*:295*//*299:*/
#line 5668 "attention.w"

int*pairs_group_sources(const PairList*pl,int*n_groups);
int pairs_split(const PairList*pl,double test,double valid,uint64_t seed,int*part,
int counts[3][2]);

/*:299*//*311:*/
#line 5893 "attention.w"

Decoder*bmodel_decoder(BModel*bm);

/*:311*//*349:*/
#line 6685 "attention.w"

const Backend*cuda_backend_open(char*msg,size_t n);
void backend_train_batch(BModel*bm,const Batch*bt,double lr);

/*:349*//*363:*/
#line 6932 "attention.w"

int kit_fail(const char*fmt,...)__attribute__((format(printf,1,2)));
const char*kit_error(void);
void*xcalloc(size_t n,size_t size);
void*xrealloc(void*p,size_t size);
char*xstrdup(const char*s);

/*:363*//*373:*/
#line 7207 "attention.w"

int train_pairs(Model*m,const Example*ex,int n,long epochs,double lr,int threads,
float*loss);
void pipeline_stop(struct Pipeline*p);

/*:373*//*374:*/
#line 7212 "attention.w"

AdamConstants adam_constants(double lr,double beta1,double beta2,double eps,long t);
void adam_apply(float*p,const float*g,float*m,float*v,size_t n,
const AdamConstants*k);
void adam_update(float*p,const float*g,float*m,float*v,size_t n,
double lr,double beta1,double beta2,double eps,long t);
void optimizer_step(Model*m,double lr);
float train_step(Model*m,const Example*ex,double lr);

/*:374*//*401:*/
#line 7765 "attention.w"

int save_target_check(const char*path);
int checkpoint_save(const Model*m,const char*path);
int bcheckpoint_save(const BModel*bm,const char*path);
int checkpoint_load(Model*m,const char*path);
int checkpoint_load_any(const char*path,Model*m,BModel*bm,const Backend*be,int B_cap);

/*:401*//*429:*/
#line 8297 "attention.w"

extern const Colormap colormap_bone,colormap_ylorrd;
void colormap_color(const Colormap*cm,double w,double rgb[3]);
const Colormap*colormap_find(const char*name);

/*:429*//*456:*/
#line 8821 "attention.w"

int heatmap_layout(const Heatmap*h,HeatmapLayout*lay);

/*:456*//*469:*/
#line 9056 "attention.w"

int figure_format(const char*path);
int figure_check_path(const char*path);
int write_file_atomic(const char*path,const void*data,size_t n);

/*:469*//*477:*/
#line 9216 "attention.w"

int heatmap_save(const Heatmap*h,const char*path);
int heatmap_image(const Heatmap*h,double scale,FigImage*img,HeatmapLayout*lay);

/*:477*//*492:*/
#line 9503 "attention.w"

int curve_save(const Curve*c,const char*path);
int curve_image(const Curve*c,double scale,FigImage*img);

/*:492*/
#line 544 "attention.w"


/*:5*/
