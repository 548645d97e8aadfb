/*193:*/
#line 3799 "attention.w"

#include "attention.h"
#include <stdlib.h> 
#include <string.h> 
#include <unistd.h> 
#include <cblas.h> 
/*194:*/
#line 3808 "attention.w"

static void*cpu_alloc(size_t bytes)
{
return xcalloc(1,bytes);
}
static void cpu_release(void*p)
{
free(p);
}
static void cpu_copy(void*dst,const void*src,size_t bytes)
{
if(bytes)memmove(dst,src,bytes);
}
static void cpu_zero(void*p,size_t bytes)
{
memset(p,0,bytes);
}

/*:194*//*195:*/
#line 3840 "attention.w"

#define GEMM_SPLIT (1 << 20)
static int cpu_threads;
static void gemm_piece(int ta,int tb,int M,int N,int K,float alpha,const float*A,
int lda,const float*B,int ldb,float beta,float*C,int ldc)
{
#ifdef KIT_DOUBLE
cblas_dgemm(CblasRowMajor,ta?CblasTrans:CblasNoTrans,tb?CblasTrans:CblasNoTrans,
M,N,K,alpha,A,lda,B,ldb,beta,C,ldc);
#else
#line 3850 "attention.w"
 cblas_sgemm(CblasRowMajor,ta?CblasTrans:CblasNoTrans,tb?CblasTrans:CblasNoTrans,
M,N,K,alpha,A,lda,B,ldb,beta,C,ldc);
#endif
#line 3853 "attention.w"
}

/*:195*//*196:*/
#line 3858 "attention.w"

static int cpu_default_threads(void)
{
const char*e= getenv("OMP_NUM_THREADS");
if(e&&atoi(e)>=1)return atoi(e)> 1?2:1;
return sysconf(_SC_NPROCESSORS_ONLN)> 1?2:1;
}

/*:196*//*197:*/
#line 3872 "attention.w"

static void cpu_gemm(int ta,int tb,int M,int N,int K,float alpha,const float*A,
int lda,const float*B,int ldb,float beta,float*C,int ldc)
{
if(!cpu_threads)cpu_set_threads(cpu_default_threads());
int big= (double)M*N*K>=GEMM_SPLIT;
int m= big&&M>=64?(M/2+15)/16*16:0;
int n= big&&!m&&N>=64?(N/2+15)/16*16:0;
if(!m&&!n){
gemm_piece(ta,tb,M,N,K,alpha,A,lda,B,ldb,beta,C,ldc);
return;
}
#ifdef _OPENMP
#pragma omp parallel for num_threads(cpu_threads) schedule(static, 1)
#endif
#line 3887 "attention.w"
 for(int p= 0;p<2;p++){
int r0= p?m:0,c0= p?n:0;
int rows= m?(p?M-m:m):M,cols= n?(p?N-n:n):N;
gemm_piece(ta,tb,rows,cols,K,alpha,ta?A+r0:A+(size_t)r0*lda,lda,
tb?B+(size_t)c0*ldb:B+c0,ldb,beta,C+(size_t)r0*ldc+c0,ldc);
}
}

/*:197*//*198:*/
#line 3897 "attention.w"

#define FOR(n) for (int i =  0; i < (n); i++)
#define FOR2(n, m) for (int r =  0; r < (n); r++) for (int j =  0; j < (m); j++)
static void cpu_embed(float*out,const float*table,const int*ids,int n,int H,
float p,uint64_t seed)
{
FOR2(n,H)kb_embed(r,j,out,table,ids,H,p,seed);
}
static void cpu_embed_backward(float*dtable,const float*dout,const int*ids,int n,
int H,float p,uint64_t seed)
{
FOR(H)kb_embed_backward(i,dtable,dout,ids,n,H,p,seed);
}
static void cpu_add_bias(float*y,const float*b,int n,int m)
{
FOR2(n,m)kb_add_bias(r,j,y,b,m);
}
static void cpu_gather_rows(float*dst,const float*src,const int*rows,int n,int m)
{
FOR2(n,m)kb_gather_rows(r,j,dst,src,rows,m);
}
static void cpu_scatter_rows(float*dst,const float*src,const int*rows,int n,int m)
{
FOR2(n,m)kb_scatter_rows(r,j,dst,src,rows,m);
}

/*:198*//*199:*/
#line 3932 "attention.w"

static void cpu_gru_forward(float*h_new,GruCache*cache,const float*gi,
const float*gh,const float*h,float*out,const int*len,int s,int B,int H)
{
for(int r= 0;r<B;r++){
size_t o= (size_t)r*H;
if(len&&s>=len[r])
for(int j= 0;j<H;j++)kb_gru_forward(r,j,h_new,cache,gi,gh,h,out,len,s,H);
else{
gru_cell_forward(h_new+o,cache+o,gi+3*o,gh+3*o,h+o,1,H);
if(out)memcpy(out+o,h_new+o,(size_t)H*sizeof(float));
}
}
}
static void cpu_gru_backward(float*dgi,float*dgh,float*dh_prev,const float*dh_new,
const float*dout,const float*h,const GruCache*cache,const int*len,int s,
int B,int H)
{
FOR2(B,H)kb_gru_backward(r,j,dgi,dgh,dh_prev,dh_new,dout,h,cache,len,s,H);
}

/*:199*//*200:*/
#line 3954 "attention.w"

static void cpu_additive_scores(float*e,float*a,const float*wq,const float*uk,
const float*va,int B,int S,int H)
{
FOR(B*S)kb_additive_score(i,e,a,wq,uk,va,B,S,H);
}
static void cpu_gemm(int ta,int tb,int M,int N,int K,float alpha,const float*A,
int lda,const float*B,int ldb,float beta,float*C,int ldc);
static void cpu_additive_backward(float*dwq,float*duk,float*dva,const float*de,
float*a,const float*va,int B,int S,int H)
{
cpu_gemm(0,0,1,H,B*S,1.0f,de,B*S,a,H,1.0f,dva,H);
FOR2(B*S,H)kb_additive_pre(r,j,a,de,va,H);
FOR2(B,H)kb_additive_dwq(r,j,dwq,a,S,H);
FOR2(S*B,H)kb_additive_duk(r,j,duk,a,B,S,H);
}

/*:200*//*201:*/
#line 3972 "attention.w"

static void cpu_dot_scores(float*e,const float*q,const float*k,int B,int S,
int H,int heads,float scale)
{
FOR(B*heads*S)kb_dot_score(i,e,q,k,B,S,H,heads,scale);
}
static void cpu_dot_backward(float*dq,float*dk,const float*de,const float*q,
const float*k,int B,int S,int H,int heads,float scale)
{
FOR2(B,H)kb_dot_dq(r,j,dq,de,k,B,S,H,heads,scale);
FOR2(S*B,H)kb_dot_dk(r,j,dk,de,q,B,S,H,heads,scale);
}
static void cpu_masked_softmax(float*w,const float*e,const int*len,int B,
int heads,int S)
{
FOR(B*heads)kb_masked_softmax(i,w,e,len,heads,S);
}
static void cpu_softmax_backward(float*de,const float*dw,const float*w,int rows,int S)
{
FOR(rows)kb_softmax_backward(i,de,dw,w,S);
}

/*:201*//*202:*/
#line 3995 "attention.w"

static void cpu_context(float*c,const float*w,const float*v,int B,int S,int H,
int heads)
{
FOR2(B,H)kb_context(r,j,c,w,v,B,S,H,heads);
}
static void cpu_context_backward(float*dw,float*dv,const float*dc,const float*w,
const float*v,int B,int S,int H,int heads)
{
FOR(B*heads*S)kb_context_dw(i,dw,dc,v,B,S,H,heads);
FOR2(S*B,H)kb_context_dv(r,j,dv,dc,w,B,S,H,heads);
}

/*:202*//*203:*/
#line 4009 "attention.w"

static void cpu_tanh_forward(float*y,const float*x,int n)
{
FOR(n)kb_tanh(i,y,x);
}
static void cpu_tanh_backward(float*dx,const float*dy,const float*y,int n)
{
FOR(n)kb_tanh_backward(i,dx,dy,y);
}

/*:203*//*204:*/
#line 4020 "attention.w"

static void cpu_nll(float*logits,float*row_loss,const int*tgt,int n,int V,
float scale)
{
FOR(n)kb_nll(i,logits,row_loss,tgt,V,scale);
}
static void cpu_log_softmax(float*x,int n,int V)
{
FOR(n)kb_log_softmax(i,x,V);
}

/*:204*//*205:*/
#line 4044 "attention.w"

static int row_argmax(const float*restrict y,int V)
{
float lane[16],m;
int j= 0;
if(isnan(y[0]))return 0;
for(int k= 0;k<16;k++)lane[k]= -INFINITY;
for(;j+16<=V;j+= 16)
for(int k= 0;k<16;k++)lane[k]= y[j+k]> lane[k]?y[j+k]:lane[k];
m= lane[0];
for(int k= 1;k<16;k++)m= lane[k]> m?lane[k]:m;
for(;j<V;j++)m= y[j]> m?y[j]:m;
for(j= 0;j<V;j++)if(y[j]==m)return j;
return 0;
}
static void cpu_argmax(int*out,const float*x,int n,int V)
{
FOR(n)out[i]= row_argmax(x+(size_t)i*V,V);
}

/*:205*//*206:*/
#line 4066 "attention.w"

static void cpu_sum(float*acc,const float*x,int n)
{
kb_sum(acc,x,n);
}
static void cpu_add(float*y,const float*x,int n)
{
FOR(n)kb_add(i,y,x);
}
static void cpu_adam(float*p,const float*g,float*m,float*v,size_t n,
AdamConstants k)
{
for(size_t i= 0;i<n;i++)kb_adam(i,p,g,m,v,k);
}

/*:206*//*207:*/
#line 4083 "attention.w"

void cpu_set_threads(int n)
{
openblas_set_num_threads(1);
cpu_threads= n;
}

/*:207*//*208:*/
#line 4091 "attention.w"

static void cpu_gather_keys(float*dst,const float*src,const int*sent,int n,int S,
int N,int H)
{
FOR2(S*n,H)kb_gather_keys(r,j,dst,src,sent,n,N,H);
}

/*:208*//*209:*/
#line 4099 "attention.w"

const Backend cpu_backend= {"cpu",cpu_alloc,cpu_release,cpu_copy,cpu_copy,
cpu_copy,cpu_zero,cpu_gemm,cpu_embed,cpu_embed_backward,cpu_add_bias,
cpu_gather_rows,cpu_scatter_rows,cpu_gru_forward,cpu_gru_backward,cpu_additive_scores,
cpu_additive_backward,cpu_dot_scores,cpu_dot_backward,cpu_masked_softmax,
cpu_softmax_backward,cpu_context,cpu_context_backward,cpu_tanh_forward,
cpu_tanh_backward,cpu_nll,cpu_log_softmax,cpu_argmax,cpu_sum,cpu_add,cpu_adam,
cpu_gather_keys};

/*:209*/
#line 3805 "attention.w"


/*:193*/
