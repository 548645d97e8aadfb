/*259:*/
#line 4478 "attention.w"

extern"C"{
#include "attention.h"
}
#include <cuda_runtime.h> 
#include <cublas_v2.h> 
#include <stdio.h> 
#include <stdlib.h> 
#include <string.h> 
/*260:*/
#line 4502 "attention.w"

static void cuda_fail(cudaError_t e,const char*file,int line,const char*call)
{
fprintf(stderr,"attention: %s:%d: CUDA error %s (%s) in %s\n",file,line,
cudaGetErrorName(e),cudaGetErrorString(e),call);
exit(1);
}
static void cublas_fail(cublasStatus_t s,const char*file,int line,const char*call)
{
fprintf(stderr,"attention: %s:%d: cuBLAS error %s (%s) in %s\n",file,line,
cublasGetStatusName(s),cublasGetStatusString(s),call);
exit(1);
}
#define cudaCheck(x) do { cudaError_t e_ =  (x); \
  if (e_ != cudaSuccess) cuda_fail(e_, __FILE__, __LINE__, #x); } while (0)
#define cublasCheck(x) do { cublasStatus_t s_ =  (x); \
  if (s_ != CUBLAS_STATUS_SUCCESS) cublas_fail(s_, __FILE__, __LINE__, #x); } while (0)

/*:260*/
#line 4487 "attention.w"

/*261:*/
#line 4525 "attention.w"

static cudaStream_t kit_stream;
static cublasHandle_t kit_blas;
static unsigned long long kit_launches,kit_products;
static unsigned long long kit_graph_launches,kit_graph_new,kit_graph_updated;
static double kit_flops;

/*:261*/
#line 4488 "attention.w"

#include "cuda_kernels.h"
/*278:*/
#line 4898 "attention.w"

static void*cu_alloc(size_t bytes)
{
void*p= NULL;
cudaCheck(cudaMalloc(&p,bytes?bytes:16));
cudaCheck(cudaMemset(p,0,bytes?bytes:16));
return p;
}
static void cu_release(void*p)
{
if(p)cudaCheck(cudaFree(p));
}
static void cu_upload(void*dst,const void*src,size_t bytes)
{
if(!bytes)return;
cudaCheck(cudaMemcpyAsync(dst,src,bytes,cudaMemcpyHostToDevice,kit_stream));
cudaCheck(cudaStreamSynchronize(kit_stream));
}

/*:278*//*279:*/
#line 4917 "attention.w"

static void cu_download(void*dst,const void*src,size_t bytes)
{
if(!bytes)return;
cudaCheck(cudaMemcpyAsync(dst,src,bytes,cudaMemcpyDeviceToHost,kit_stream));
cudaCheck(cudaStreamSynchronize(kit_stream));
}
static void cu_copy(void*dst,const void*src,size_t bytes)
{
if(bytes)cudaCheck(cudaMemcpyAsync(dst,src,bytes,cudaMemcpyDeviceToDevice,kit_stream));
}
static void cu_zero(void*p,size_t bytes)
{
if(bytes)cudaCheck(cudaMemsetAsync(p,0,bytes,kit_stream));
}

/*:279*//*286:*/
#line 5035 "attention.w"

static const Backend cuda_backend= {"cuda",cu_alloc,cu_release,cu_upload,
cu_download,cu_copy,cu_zero,dev_gemm,cu_embed,cu_embed_backward,cu_add_bias,
cu_gru_forward,cu_gru_backward,cu_additive_scores,cu_additive_backward,
cu_dot_scores,cu_dot_backward,cu_masked_softmax,cu_softmax_backward,cu_context,
cu_context_backward,cu_tanh_forward,cu_tanh_backward,cu_nll,cu_log_softmax,
cu_argmax,cu_sum,cu_add,cu_adam};

/*:286*/
#line 4490 "attention.w"

/*280:*/
#line 4947 "attention.w"

static void dev_gemm(int ta,int tb,int M,int N,int K,float alpha,const float*A,
int lda,const float*B,int ldb,float beta,float*C,int ldc)
{
if(M==0||N==0)return;
cublasCheck(cublasSgemm(kit_blas,tb?CUBLAS_OP_T:CUBLAS_OP_N,
ta?CUBLAS_OP_T:CUBLAS_OP_N,N,M,K,&alpha,B,ldb,A,lda,&beta,C,ldc));
kit_products++;
kit_flops+= 2.0*M*N*K;
}

/*:280*/
#line 4491 "attention.w"

/*285:*/
#line 5026 "attention.w"

static void cuda_report(void)
{
fprintf(stderr,"cuda: %llu kernel launches, %llu products (%.3f Gflop), %llu graph "
"launches (%llu instantiated, %llu updated)\n",kit_launches,kit_products,
kit_flops*1e-9,kit_graph_launches,kit_graph_new,kit_graph_updated);
}

/*:285*//*289:*/
#line 5091 "attention.w"

#define GRAPH_SLOTS 64
static struct{int B,S,T;cudaGraphExec_t exec;}kit_graph[GRAPH_SLOTS];
static int kit_graphs;

/*:289*//*290:*/
#line 5096 "attention.w"

void backend_train_batch(BModel*bm,const Batch*bt,double lr)
{
static int use= -1;
if(use<0)use= getenv("KIT_CUDA_GRAPHS")&&strcmp(getenv("KIT_CUDA_GRAPHS"),"1")==0;
if(!use||bm->be!=&cuda_backend){
bmodel_train_batch(bm,bt,lr);
return;
}
int k= 0;
while(k<kit_graphs&&(kit_graph[k].B!=bt->B||kit_graph[k].S!=bt->S
||kit_graph[k].T!=bt->T))k++;
cudaGraph_t g;
cudaCheck(cudaStreamBeginCapture(kit_stream,cudaStreamCaptureModeThreadLocal));
bmodel_train_batch(bm,bt,lr);
cudaCheck(cudaStreamEndCapture(kit_stream,&g));
/*291:*/
#line 5120 "attention.w"

if(k==GRAPH_SLOTS)k= GRAPH_SLOTS-1;
if(k<kit_graphs){
cudaGraphExecUpdateResultInfo info;
if(cudaGraphExecUpdate(kit_graph[k].exec,g,&info)==cudaSuccess)kit_graph_updated++;
else{
(void)cudaGetLastError();
cudaCheck(cudaGraphExecDestroy(kit_graph[k].exec));
kit_graph[k].exec= NULL;
}
}else kit_graphs++,kit_graph[k].exec= NULL;
kit_graph[k].B= bt->B,kit_graph[k].S= bt->S,kit_graph[k].T= bt->T;
if(!kit_graph[k].exec){
cudaCheck(cudaGraphInstantiate(&kit_graph[k].exec,g,0));
kit_graph_new++;
}

/*:291*/
#line 5112 "attention.w"

cudaCheck(cudaGraphDestroy(g));
cudaCheck(cudaGraphLaunch(kit_graph[k].exec,kit_stream));
kit_graph_launches++;
}

/*:290*/
#line 4492 "attention.w"

/*282:*/
#line 4976 "attention.w"

const Backend*cuda_backend_open(char*msg,size_t n)
{
static int opened;
static char desc[320];
if(opened){
snprintf(msg,n,"%s",desc);
return&cuda_backend;
}
int count= 0,dev= 0;
cudaError_t e= cudaGetDeviceCount(&count);
if(e!=cudaSuccess||count==0){
snprintf(msg,n,"no CUDA GPU found (%s)",e!=cudaSuccess?cudaGetErrorString(e):
"no device");
return NULL;
}
/*283:*/
#line 4999 "attention.w"

cudaDeviceProp prop;
cudaCheck(cudaGetDeviceProperties(&prop,dev));
if(prop.major<9){
snprintf(msg,n,"the GPU %s has compute capability %d.%d; this program was built "
"for 9.0 (Hopper) and newer",prop.name,prop.major,prop.minor);
return NULL;
}
snprintf(desc,sizeof desc,"%.200s (compute capability %d.%d, %d multiprocessors, %.0f GiB)",
prop.name,prop.major,prop.minor,prop.multiProcessorCount,
(double)prop.totalGlobalMem/(1024.0*1024.0*1024.0));

/*:283*/
#line 4992 "attention.w"

/*284:*/
#line 5014 "attention.w"

void*work;
cudaCheck(cudaSetDevice(dev));
cudaCheck(cudaStreamCreateWithFlags(&kit_stream,cudaStreamNonBlocking));
cublasCheck(cublasCreate(&kit_blas));
cublasCheck(cublasSetStream(kit_blas,kit_stream));
cublasCheck(cublasSetMathMode(kit_blas,CUBLAS_DEFAULT_MATH));
cudaCheck(cudaMalloc(&work,(size_t)32<<20));
cublasCheck(cublasSetWorkspace(kit_blas,work,(size_t)32<<20));
if(getenv("KIT_CUDA_STATS"))atexit(cuda_report);

/*:284*/
#line 4993 "attention.w"

opened= 1;
snprintf(msg,n,"%s",desc);
return&cuda_backend;
}

/*:282*/
#line 4493 "attention.w"


/*:259*/
