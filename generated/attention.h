/*4:*/
#line 456 "attention.w"

#pragma once
/*5:*/
#line 466 "attention.w"

#include <stddef.h> 
#include <stdint.h> 
#include <stdio.h> 
#include <math.h> 

/*:5*//*6:*/
#line 485 "attention.w"

#if defined(KIT_MVEC) && defined(__GNUC__) && !defined(__clang__) && !defined(__CUDACC__)
#define KIT_VECTOR_MATH __attribute__((__simd__("notinbranch")))
KIT_VECTOR_MATH float expf(float);
KIT_VECTOR_MATH float tanhf(float);
#endif
#line 491 "attention.w"

/*:6*/
#line 458 "attention.w"

/*7:*/
#line 499 "attention.w"

#define SOS_TOKEN 0
#define EOS_TOKEN 1
#define DEFAULT_HIDDEN 128
#define DEFAULT_MAX_LENGTH 10
#define MAX_WORD_BYTES 1024
#define ROW_BLOCK 4096 

/*:7*//*8:*/
#line 513 "attention.w"

#ifdef __CUDACC__
#define KIT_HD __host__ __device__
#else
#line 517 "attention.w"
#define KIT_HD
#endif
#line 519 "attention.w"

/*:8*//*41:*/
#line 1007 "attention.w"

#define FILTER_TUTORIAL 0
#define FILTER_LENGTH 1

/*:41*/
#line 459 "attention.w"

/*14:*/
#line 612 "attention.w"

typedef struct{
char**word;
int n;
int cap;
int*slot;
int nslot;
}Vocab;

/*:14*//*30:*/
#line 822 "attention.w"

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

/*:30*//*48:*/
#line 1125 "attention.w"

typedef struct{
int src[DEFAULT_MAX_LENGTH*4],tgt[DEFAULT_MAX_LENGTH*4];
int src_len,tgt_len;
}Example;

/*:48*//*52:*/
#line 1181 "attention.w"

typedef struct{
int V_in,V_out;
int H;
int L;
}Config;

/*:52*//*53:*/
#line 1201 "attention.w"

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

/*:53*//*83:*/
#line 1812 "attention.w"

typedef struct{
float r,z,n,ghn;
}GruCache;

/*:83*//*137:*/
#line 2746 "attention.w"

typedef struct{
int weight;
const float*dout,*inp;
int B,C,OC;
}Deferred;
#define N_DEFERRED 7
#define N_DEC_DEFERRED 5 
#define N_ENC_DEFERRED (N_DEFERRED - N_DEC_DEFERRED) 

/*:137*//*146:*/
#line 2935 "attention.w"

typedef struct{
float b1,a1,b2,a2;
float step;
float inv_bc2;
float eps;
}AdamConstants;

/*:146*//*205:*/
#line 4095 "attention.w"

#define COLORMAP_MAX_POINTS 9
typedef struct{
const char*name;
int n[3];
double x[3][COLORMAP_MAX_POINTS];
double v[3][COLORMAP_MAX_POINTS];
}Colormap;

/*:205*//*213:*/
#line 4198 "attention.w"

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

/*:213*//*214:*/
#line 4215 "attention.w"

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

/*:214*//*245:*/
#line 4838 "attention.w"

enum{FIGURE_PNG,FIGURE_PDF,FIGURE_SVG};
#define FIGURE_PNG_SCALE 2.0

/*:245*//*259:*/
#line 5098 "attention.w"

typedef struct{
int n;
const double*x,*y;
const char*title,*xlabel,*ylabel;
}Curve;

/*:259*/
#line 460 "attention.w"

/*58:*/
#line 1283 "attention.w"

/*94:*/
#line 1937 "attention.w"

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
/*102:*/
#line 2084 "attention.w"

float*dec_eh,*dec_scores,*dec_w,*dec_ec,*dec_pre,*dec_o,*dec_gi,*dec_gh;
GruCache*dec_cache;
float*dec_h;
float*logits,*logp;

/*:102*/
#line 1950 "attention.w"

/*134:*/
#line 2691 "attention.w"

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

/*:134*/
#line 1951 "attention.w"

}Activations;

/*:94*/
#line 1284 "attention.w"

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

/*:58*/
#line 461 "attention.w"

/*84:*/
#line 1819 "attention.w"

KIT_HD static inline float sigmoidf_(float a)
{
return 1.0f/(1.0f+expf(-a));
}

KIT_HD static inline float gru_unit_forward(float gir,float giz,float gin,
float ghr,float ghz,float ghn,float h,GruCache*c)
{
/*85:*/
#line 1832 "attention.w"

c->r= sigmoidf_(gir+ghr);
c->z= sigmoidf_(giz+ghz);
c->ghn= ghn;
c->n= tanhf(gin+c->r*ghn);
return(1.0f-c->z)*c->n+c->z*h;

/*:85*/
#line 1828 "attention.w"

}

/*:84*//*125:*/
#line 2486 "attention.w"

KIT_HD static inline void gru_unit_backward(float dh_new,float h,const GruCache*c,
float*dgir,float*dgiz,float*dgin,float*dghn,float*dh)
{
/*126:*/
#line 2494 "attention.w"

float dn= dh_new*(1.0f-c->z);
float dz= dh_new*(h-c->n);
float dan= dn*(1.0f-c->n*c->n);
float dr= dan*c->ghn;
*dgir= dr*c->r*(1.0f-c->r);
*dgiz= dz*c->z*(1.0f-c->z);
*dgin= dan;
*dghn= dan*c->r;
*dh+= dh_new*c->z;

/*:126*/
#line 2490 "attention.w"

}

/*:125*/
#line 462 "attention.w"

/*13:*/
#line 589 "attention.w"

int kit_fail(const char*fmt,...)__attribute__((format(printf,1,2)));
const char*kit_error(void);
void*xcalloc(size_t n,size_t size);
void*xrealloc(void*p,size_t size);
char*xstrdup(const char*s);

/*:13*//*25:*/
#line 757 "attention.w"

void vocab_init(Vocab*v);
void vocab_free(Vocab*v);
int vocab_find(const Vocab*v,const char*w);
int vocab_add(Vocab*v,const char*w);
void vocab_add_sentence(Vocab*v,const char*s);

/*:25*//*28:*/
#line 805 "attention.w"

int tokenize(const Vocab*v,const char*s,int*ids,int max,
const char*where,const char*language);

/*:28*//*34:*/
#line 882 "attention.w"

void pairs_seed(PairList*pl);
void pairs_free(PairList*pl);
void pairs_vocabularies(const PairList*pl,Vocab*vin,Vocab*vout);

/*:34*//*40:*/
#line 983 "attention.w"

char*normalize_sentence(const char*s,size_t len,size_t*bad);

/*:40*//*47:*/
#line 1115 "attention.w"

int pairs_read(PairList*pl,const char*path,int filter,int max_length);

/*:47*//*51:*/
#line 1171 "attention.w"

int make_examples(const PairList*pl,const Vocab*vin,const Vocab*vout,
int max_length,int append_eos,Example**out);

/*:51*//*57:*/
#line 1275 "attention.w"

void tensor_specs(const Config*c,TensorSpec s[N_TENSORS]);
size_t spec_numel(const TensorSpec*s);
size_t tensors_point(Tensors*t,float*mem,const Config*c);

/*:57*//*62:*/
#line 1365 "attention.w"

void model_alloc(Model*m,const Config*c,Vocab*vin,Vocab*vout);
void model_free(Model*m);

/*:62*//*66:*/
#line 1422 "attention.w"

void model_init_random(Model*m,uint64_t seed);

/*:66*//*81:*/
#line 1695 "attention.w"

void embedding_forward(float*out,const float*table,const int*ids,int B,int H);
void linear_forward(float*out,const float*inp,const float*weight,
const float*bias,int B,int C,int OC);
void relu_forward(float*out,const float*inp,int n);
void softmax_forward(float*out,const float*inp,int B,int n);
void log_softmax_forward(float*out,const float*inp,int B,int n);
float nll_forward(const float*logp,const int*target,int B,int V);

/*:81*//*89:*/
#line 1871 "attention.w"

void gru_cell_forward(float*h_new,GruCache*cache,const float*gi,
const float*gh,const float*h,int B,int H);

/*:89*//*93:*/
#line 1918 "attention.w"

void attention_forward(float*w,float*ctx,const float*scores,
const float*enc_out,int B,int L,int H);

/*:93*//*98:*/
#line 1998 "attention.w"

void activations_alloc(Activations*a,const Config*c);
void activations_free(Activations*a);

/*:98*//*100:*/
#line 2027 "attention.w"

void encoder_forward(Model*m,const int*src,int T);

/*:100*//*107:*/
#line 2142 "attention.w"

DecoderStep decoder_step(const Activations*a,const Config*c,int t);
void decoder_step_forward(const Model*m,int token,const float*h_prev,
const float*enc_out,const DecoderStep*s);

/*:107*//*109:*/
#line 2191 "attention.w"

float seq2seq_forward(Model*m,const Example*ex);
float decoder_forward(Model*m,const Example*ex);

/*:109*//*124:*/
#line 2449 "attention.w"

void nll_backward(float*dlogits,const float*logp,const int*target,int B,int V);
void linear_backward(float*dinp,float*dweight,float*dbias,
const float*dout,const float*inp,const float*weight,int B,int C,int OC);
void relu_backward(float*dinp,const float*dout,const float*inp,int n);
void outer_products(float*dw,const float*dy,int stride,
const float*x,int B,int C,int rows,int add);
void embedding_backward(float*dtable,const float*dout,const int*ids,int B,int H);

/*:124*//*129:*/
#line 2529 "attention.w"

void gru_cell_backward(float*dgi,float*dgh,float*dh,const float*dh_new,
const float*h,const GruCache*cache,int B,int H);

/*:129*//*133:*/
#line 2582 "attention.w"

void attention_backward(float*dscores,float*denc_out,const float*dctx,
const float*w,const float*enc_out,int B,int L,int H);

/*:133*//*141:*/
#line 2811 "attention.w"

void seq2seq_backward_deferred(Model*m,const Example*ex,Deferred d[N_DEFERRED]);
void decoder_backward(Model*m,const Example*ex,Deferred d[N_DEC_DEFERRED]);
void encoder_backward(Model*m,const Example*ex,Deferred d[N_ENC_DEFERRED]);
void seq2seq_backward(Model*m,const Example*ex);

/*:141*//*167:*/
#line 3392 "attention.w"

int train_pairs(Model*m,const Example*ex,int n,long epochs,double lr,int threads,
float*loss);
void pipeline_stop(struct Pipeline*p);

/*:167*//*168:*/
#line 3397 "attention.w"

AdamConstants adam_constants(double lr,double beta1,double beta2,double eps,long t);
void adam_apply(float*p,const float*g,float*m,float*v,size_t n,
const AdamConstants*k);
void adam_update(float*p,const float*g,float*m,float*v,size_t n,
double lr,double beta1,double beta2,double eps,long t);
void optimizer_step(Model*m,double lr);
float train_step(Model*m,const Example*ex,double lr);

/*:168*//*172:*/
#line 3459 "attention.w"

int argmax(const float*x,int n);
int greedy_decode(Model*m,const int*src,int T,int*out,float*attn);

/*:172*//*187:*/
#line 3695 "attention.w"

int checkpoint_save(const Model*m,const char*path);
int checkpoint_load(Model*m,const char*path);

/*:187*//*212:*/
#line 4183 "attention.w"

extern const Colormap colormap_bone,colormap_ylorrd;
void colormap_color(const Colormap*cm,double w,double rgb[3]);
const Colormap*colormap_find(const char*name);

/*:212*//*237:*/
#line 4684 "attention.w"

int heatmap_layout(const Heatmap*h,HeatmapLayout*lay);

/*:237*//*250:*/
#line 4915 "attention.w"

int figure_format(const char*path);
int figure_check_path(const char*path);
int write_file_atomic(const char*path,const void*data,size_t n);

/*:250*//*258:*/
#line 5075 "attention.w"

int heatmap_save(const Heatmap*h,const char*path);
int heatmap_image(const Heatmap*h,double scale,FigImage*img,HeatmapLayout*lay);

/*:258*//*273:*/
#line 5359 "attention.w"

int curve_save(const Curve*c,const char*path);
int curve_image(const Curve*c,double scale,FigImage*img);

/*:273*/
#line 463 "attention.w"


/*:4*/
