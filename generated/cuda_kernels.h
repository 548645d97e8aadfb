/*320:*/
#line 6116 "attention.w"

#define KIT_BLOCK 256
/*321:*/
#line 6138 "attention.w"

#ifdef __CUDACC__
#define KIT_GLOBAL __global__
#define KIT_DEV __device__
#define KIT_LAUNCH(kernel, count, ...) do { size_t n_ =  (count); if (n_ >  0) { \
  kernel<<<kit_blocks(n_), KIT_BLOCK, 0, kit_stream>>> (__VA_ARGS__); \
  cudaCheck(cudaGetLastError()); kit_launches++; } } while (0)
#else
#line 6146 "attention.w"
#define KIT_GLOBAL static
#define KIT_DEV
static struct{unsigned x;}blockIdx,blockDim,threadIdx,gridDim;
#define KIT_LAUNCH(kernel, count, ...) do { size_t n_ =  (count); if (n_ >  0) { \
  gridDim.x =  kit_blocks(n_), blockDim.x =  KIT_BLOCK; \
  for (blockIdx.x =  0; blockIdx.x < gridDim.x; blockIdx.x++) \
    for (threadIdx.x =  0; threadIdx.x < blockDim.x; threadIdx.x++) \
      kernel(__VA_ARGS__); } } while (0)
#endif
#line 6155 "attention.w"

/*:321*/
#line 6118 "attention.w"

KIT_DEV static inline size_t kit_index(void)
{
return(size_t)blockIdx.x*blockDim.x+threadIdx.x;
}
static inline unsigned kit_blocks(size_t n)
{
return(unsigned)((n+KIT_BLOCK-1)/KIT_BLOCK);
}
static void dev_gemm(int ta,int tb,int M,int N,int K,float alpha,const float*A,
int lda,const float*B,int ldb,float beta,float*C,int ldc);
/*341:*/
#line 6572 "attention.w"

typedef void ColGemm(int ta,int tb,int m,int n,int k,float alpha,const float*A,
int lda,const float*B,int ldb,float beta,float*C,int ldc);
static inline void row_major_gemm(ColGemm*col,int ta,int tb,int M,int N,int K,
float alpha,const float*A,int lda,const float*B,int ldb,float beta,float*C,
int ldc)
{
if(M> 0&&N> 0)col(tb,ta,N,M,K,alpha,B,ldb,A,lda,beta,C,ldc);
}

/*:341*/
#line 6129 "attention.w"

/*322:*/
#line 6163 "attention.w"

KIT_GLOBAL void k_embed(float*out,const float*table,const int*ids,int n,int H,
float p,uint64_t seed)
{
size_t i= kit_index();
if(i<(size_t)n*H)kb_embed((int)(i/H),(int)(i%H),out,table,ids,H,p,seed);
}
KIT_GLOBAL void k_embed_backward(float*dtable,const float*dout,const int*ids,int n,
int H,float p,uint64_t seed)
{
size_t i= kit_index();
if(i<(size_t)H)kb_embed_backward((int)i,dtable,dout,ids,n,H,p,seed);
}
KIT_GLOBAL void k_add_bias(float*y,const float*b,int n,int m)
{
size_t i= kit_index();
if(i<(size_t)n*m)kb_add_bias((int)(i/m),(int)(i%m),y,b,m);
}

/*:322*//*323:*/
#line 6185 "attention.w"

KIT_GLOBAL void k_gather_rows(float*dst,const float*src,const int*rows,int n,int m)
{
size_t i= kit_index();
if(i<(size_t)n*m)kb_gather_rows((int)(i/m),(int)(i%m),dst,src,rows,m);
}
KIT_GLOBAL void k_scatter_rows(float*dst,const float*src,const int*rows,int n,int m)
{
size_t i= kit_index();
if(i<(size_t)n*m)kb_scatter_rows((int)(i/m),(int)(i%m),dst,src,rows,m);
}
KIT_GLOBAL void k_gather_keys(float*dst,const float*src,const int*sent,int n,int S,
int N,int H)
{
size_t i= kit_index();
if(i<(size_t)S*n*H)
kb_gather_keys((int)(i/H),(int)(i%H),dst,src,sent,n,N,H);
}

/*:323*//*324:*/
#line 6205 "attention.w"

KIT_GLOBAL void k_gru_forward(float*h_new,GruCache*cache,const float*gi,
const float*gh,const float*h,float*out,const int*len,int s,int B,int H)
{
size_t i= kit_index();
if(i<(size_t)B*H)
kb_gru_forward((int)(i/H),(int)(i%H),h_new,cache,gi,gh,h,out,len,s,H);
}
KIT_GLOBAL void k_gru_backward(float*dgi,float*dgh,float*dh_prev,
const float*dh_new,const float*dout,const float*h,const GruCache*cache,
const int*len,int s,int B,int H)
{
size_t i= kit_index();
if(i<(size_t)B*H)
kb_gru_backward((int)(i/H),(int)(i%H),dgi,dgh,dh_prev,dh_new,dout,h,
cache,len,s,H);
}

/*:324*//*325:*/
#line 6224 "attention.w"

KIT_GLOBAL void k_additive_score(float*e,float*a,const float*wq,const float*uk,
const float*va,int B,int S,int H)
{
size_t i= kit_index();
if(i<(size_t)B*S)kb_additive_score((int)i,e,a,wq,uk,va,B,S,H);
}
KIT_GLOBAL void k_additive_pre(float*a,const float*de,const float*va,int n,int H)
{
size_t i= kit_index();
if(i<(size_t)n*H)kb_additive_pre((int)(i/H),(int)(i%H),a,de,va,H);
}
KIT_GLOBAL void k_additive_dwq(float*dwq,const float*dpre,int B,int S,int H)
{
size_t i= kit_index();
if(i<(size_t)B*H)kb_additive_dwq((int)(i/H),(int)(i%H),dwq,dpre,S,H);
}
KIT_GLOBAL void k_additive_duk(float*duk,const float*dpre,int B,int S,int H)
{
size_t i= kit_index();
if(i<(size_t)S*B*H)
kb_additive_duk((int)(i/H),(int)(i%H),duk,dpre,B,S,H);
}

/*:325*//*326:*/
#line 6249 "attention.w"

KIT_GLOBAL void k_dot_score(float*e,const float*q,const float*k,int B,int S,int H,
int heads,float scale)
{
size_t i= kit_index();
if(i<(size_t)B*heads*S)kb_dot_score((int)i,e,q,k,B,S,H,heads,scale);
}
KIT_GLOBAL void k_dot_dq(float*dq,const float*de,const float*k,int B,int S,int H,
int heads,float scale)
{
size_t i= kit_index();
if(i<(size_t)B*H)
kb_dot_dq((int)(i/H),(int)(i%H),dq,de,k,B,S,H,heads,scale);
}
KIT_GLOBAL void k_dot_dk(float*dk,const float*de,const float*q,int B,int S,int H,
int heads,float scale)
{
size_t i= kit_index();
if(i<(size_t)S*B*H)
kb_dot_dk((int)(i/H),(int)(i%H),dk,de,q,B,S,H,heads,scale);
}

/*:326*//*327:*/
#line 6274 "attention.w"

KIT_GLOBAL void k_masked_softmax(float*w,const float*e,const int*len,int rows,
int heads,int S)
{
size_t i= kit_index();
if(i<(size_t)rows)kb_masked_softmax((int)i,w,e,len,heads,S);
}
KIT_GLOBAL void k_softmax_backward(float*de,const float*dw,const float*w,int rows,
int S)
{
size_t i= kit_index();
if(i<(size_t)rows)kb_softmax_backward((int)i,de,dw,w,S);
}

/*:327*//*328:*/
#line 6289 "attention.w"

KIT_GLOBAL void k_context(float*c,const float*w,const float*v,int B,int S,int H,
int heads)
{
size_t i= kit_index();
if(i<(size_t)B*H)kb_context((int)(i/H),(int)(i%H),c,w,v,B,S,H,heads);
}
KIT_GLOBAL void k_context_dw(float*dw,const float*dc,const float*v,int B,int S,
int H,int heads)
{
size_t i= kit_index();
if(i<(size_t)B*heads*S)kb_context_dw((int)i,dw,dc,v,B,S,H,heads);
}
KIT_GLOBAL void k_context_dv(float*dv,const float*dc,const float*w,int B,int S,
int H,int heads)
{
size_t i= kit_index();
if(i<(size_t)S*B*H)
kb_context_dv((int)(i/H),(int)(i%H),dv,dc,w,B,S,H,heads);
}

/*:328*//*329:*/
#line 6314 "attention.w"

KIT_GLOBAL void k_tanh(float*y,const float*x,int n)
{
size_t i= kit_index();
if(i<(size_t)n)kb_tanh((int)i,y,x);
}
KIT_GLOBAL void k_tanh_backward(float*dx,const float*dy,const float*y,int n)
{
size_t i= kit_index();
if(i<(size_t)n)kb_tanh_backward((int)i,dx,dy,y);
}
KIT_GLOBAL void k_nll(float*logits,float*row_loss,const int*tgt,int n,int V,
float scale)
{
size_t i= kit_index();
if(i<(size_t)n)kb_nll((int)i,logits,row_loss,tgt,V,scale);
}
KIT_GLOBAL void k_log_softmax(float*x,int n,int V)
{
size_t i= kit_index();
if(i<(size_t)n)kb_log_softmax((int)i,x,V);
}

/*:329*//*330:*/
#line 6338 "attention.w"

KIT_GLOBAL void k_argmax(int*out,const float*x,int n,int V)
{
size_t i= kit_index();
if(i<(size_t)n)kb_argmax((int)i,out,x,V);
}
KIT_GLOBAL void k_sum(float*acc,const float*x,int n)
{
if(kit_index()==0)kb_sum(acc,x,n);
}
KIT_GLOBAL void k_add(float*y,const float*x,int n)
{
size_t i= kit_index();
if(i<(size_t)n)kb_add((int)i,y,x);
}
KIT_GLOBAL void k_adam(float*p,const float*g,float*m,float*v,size_t n,
AdamConstants c)
{
size_t i= kit_index();
if(i<n)kb_adam(i,p,g,m,v,c);
}

/*:330*/
#line 6130 "attention.w"

/*331:*/
#line 6365 "attention.w"

static void cu_embed(float*out,const float*table,const int*ids,int n,int H,
float p,uint64_t seed)
{
KIT_LAUNCH(k_embed,(size_t)n*H,out,table,ids,n,H,p,seed);
}
static void cu_embed_backward(float*dtable,const float*dout,const int*ids,int n,
int H,float p,uint64_t seed)
{
KIT_LAUNCH(k_embed_backward,(size_t)H,dtable,dout,ids,n,H,p,seed);
}
static void cu_add_bias(float*y,const float*b,int n,int m)
{
KIT_LAUNCH(k_add_bias,(size_t)n*m,y,b,n,m);
}

/*:331*//*332:*/
#line 6382 "attention.w"

static void cu_gather_rows(float*dst,const float*src,const int*rows,int n,int m)
{
KIT_LAUNCH(k_gather_rows,(size_t)n*m,dst,src,rows,n,m);
}
static void cu_scatter_rows(float*dst,const float*src,const int*rows,int n,int m)
{
KIT_LAUNCH(k_scatter_rows,(size_t)n*m,dst,src,rows,n,m);
}
static void cu_gather_keys(float*dst,const float*src,const int*sent,int n,int S,
int N,int H)
{
KIT_LAUNCH(k_gather_keys,(size_t)S*n*H,dst,src,sent,n,S,N,H);
}

/*:332*//*333:*/
#line 6398 "attention.w"

static void cu_gru_forward(float*h_new,GruCache*cache,const float*gi,
const float*gh,const float*h,float*out,const int*len,int s,int B,int H)
{
KIT_LAUNCH(k_gru_forward,(size_t)B*H,h_new,cache,gi,gh,h,out,len,s,B,H);
}
static void cu_gru_backward(float*dgi,float*dgh,float*dh_prev,const float*dh_new,
const float*dout,const float*h,const GruCache*cache,const int*len,int s,
int B,int H)
{
KIT_LAUNCH(k_gru_backward,(size_t)B*H,dgi,dgh,dh_prev,dh_new,dout,h,cache,
len,s,B,H);
}

/*:333*//*334:*/
#line 6415 "attention.w"

static void cu_additive_scores(float*e,float*a,const float*wq,const float*uk,
const float*va,int B,int S,int H)
{
KIT_LAUNCH(k_additive_score,(size_t)B*S,e,a,wq,uk,va,B,S,H);
}
static void cu_additive_backward(float*dwq,float*duk,float*dva,const float*de,
float*a,const float*va,int B,int S,int H)
{
dev_gemm(0,0,1,H,B*S,1.0f,de,B*S,a,H,1.0f,dva,H);
KIT_LAUNCH(k_additive_pre,(size_t)B*S*H,a,de,va,B*S,H);
KIT_LAUNCH(k_additive_dwq,(size_t)B*H,dwq,a,B,S,H);
KIT_LAUNCH(k_additive_duk,(size_t)S*B*H,duk,a,B,S,H);
}

/*:334*//*335:*/
#line 6431 "attention.w"

static void cu_dot_scores(float*e,const float*q,const float*k,int B,int S,
int H,int heads,float scale)
{
KIT_LAUNCH(k_dot_score,(size_t)B*heads*S,e,q,k,B,S,H,heads,scale);
}
static void cu_dot_backward(float*dq,float*dk,const float*de,const float*q,
const float*k,int B,int S,int H,int heads,float scale)
{
KIT_LAUNCH(k_dot_dq,(size_t)B*H,dq,de,k,B,S,H,heads,scale);
KIT_LAUNCH(k_dot_dk,(size_t)S*B*H,dk,de,q,B,S,H,heads,scale);
}
static void cu_masked_softmax(float*w,const float*e,const int*len,int B,
int heads,int S)
{
KIT_LAUNCH(k_masked_softmax,(size_t)B*heads,w,e,len,B*heads,heads,S);
}
static void cu_softmax_backward(float*de,const float*dw,const float*w,int rows,
int S)
{
KIT_LAUNCH(k_softmax_backward,(size_t)rows,de,dw,w,rows,S);
}

/*:335*//*336:*/
#line 6455 "attention.w"

static void cu_context(float*c,const float*w,const float*v,int B,int S,int H,
int heads)
{
KIT_LAUNCH(k_context,(size_t)B*H,c,w,v,B,S,H,heads);
}
static void cu_context_backward(float*dw,float*dv,const float*dc,const float*w,
const float*v,int B,int S,int H,int heads)
{
KIT_LAUNCH(k_context_dw,(size_t)B*heads*S,dw,dc,v,B,S,H,heads);
KIT_LAUNCH(k_context_dv,(size_t)S*B*H,dv,dc,w,B,S,H,heads);
}

/*:336*//*337:*/
#line 6469 "attention.w"

static void cu_tanh_forward(float*y,const float*x,int n)
{
KIT_LAUNCH(k_tanh,(size_t)n,y,x,n);
}
static void cu_tanh_backward(float*dx,const float*dy,const float*y,int n)
{
KIT_LAUNCH(k_tanh_backward,(size_t)n,dx,dy,y,n);
}
static void cu_nll(float*logits,float*row_loss,const int*tgt,int n,int V,
float scale)
{
KIT_LAUNCH(k_nll,(size_t)n,logits,row_loss,tgt,n,V,scale);
}
static void cu_log_softmax(float*x,int n,int V)
{
KIT_LAUNCH(k_log_softmax,(size_t)n,x,n,V);
}

/*:337*//*338:*/
#line 6489 "attention.w"

static void cu_argmax(int*out,const float*x,int n,int V)
{
KIT_LAUNCH(k_argmax,(size_t)n,out,x,n,V);
}
static void cu_sum(float*acc,const float*x,int n)
{
KIT_LAUNCH(k_sum,(size_t)1,acc,x,n);
}
static void cu_add(float*y,const float*x,int n)
{
KIT_LAUNCH(k_add,(size_t)n,y,x,n);
}
static void cu_adam(float*p,const float*g,float*m,float*v,size_t n,
AdamConstants k)
{
KIT_LAUNCH(k_adam,n,p,g,m,v,n,k);
}

/*:338*/
#line 6131 "attention.w"


/*:320*/
