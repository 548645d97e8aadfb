/*316:*/
#line 6007 "attention.w"

extern"C"{
#include "attention.h"
}
#include <cuda_runtime.h> 
#include <cublas_v2.h> 
#include <dlfcn.h> 
#include <stdio.h> 
#include <stdlib.h> 
#include <string.h> 
/*319:*/
#line 6086 "attention.w"

static cudaStream_t kit_stream;
static cublasHandle_t kit_blas;
static struct{
decltype(&cublasCreate_v2)create;
decltype(&cublasSetStream_v2)set_stream;
decltype(&cublasSetMathMode)set_math_mode;
decltype(&cublasSetWorkspace_v2)set_workspace;
decltype(&cublasSgemm_v2)sgemm;
decltype(&cublasGetStatusName)status_name;
decltype(&cublasGetStatusString)status_string;
}blas;
static unsigned long long kit_launches,kit_products;
static unsigned long long kit_graph_launches,kit_graph_new,kit_graph_updated;
static double kit_flops;

/*:319*/
#line 6017 "attention.w"

/*317:*/
#line 6033 "attention.w"

static void cuda_fail(cudaError_t e,const char*file,int lineno,const char*call)
{
fprintf(stderr,"attention: %s:%d: CUDA error %s (%s) in %s\n",file,lineno,
cudaGetErrorName(e),cudaGetErrorString(e),call);
exit(1);
}
static void cublas_fail(cublasStatus_t s,const char*file,int lineno,const char*call)
{
fprintf(stderr,"attention: %s:%d: cuBLAS error %s (%s) in %s\n",file,lineno,
blas.status_name(s),blas.status_string(s),call);
exit(1);
}
#define cudaCheck(x) do { cudaError_t e_ =  (x); \
  if (e_ != cudaSuccess) cuda_fail(e_, __FILE__, __LINE__, #x); } while (0)
#define cublasCheck(x) do { cublasStatus_t s_ =  (x); \
  if (s_ != CUBLAS_STATUS_SUCCESS) cublas_fail(s_, __FILE__, __LINE__, #x); } while (0)

/*:317*/
#line 6018 "attention.w"

/*318:*/
#line 6061 "attention.w"

#define BLAS_FN(p, f) if (!(blas.p =  (decltype(blas.p)) dlsym(h, #f))) \
  return snprintf(msg, n, "%s has no function %s", so, #f), -1
static int blas_load(char*msg,size_t n)
{
char so[32];
snprintf(so,sizeof so,"libcublas.so.%d",CUBLAS_VER_MAJOR);
void*h= dlopen(so,RTLD_NOW|RTLD_LOCAL);
if(!h)return snprintf(msg,n,"cannot load cuBLAS: %s",dlerror()),-1;
BLAS_FN(create,cublasCreate_v2);
BLAS_FN(set_stream,cublasSetStream_v2);
BLAS_FN(set_math_mode,cublasSetMathMode);
BLAS_FN(set_workspace,cublasSetWorkspace_v2);
BLAS_FN(sgemm,cublasSgemm_v2);
BLAS_FN(status_name,cublasGetStatusName);
BLAS_FN(status_string,cublasGetStatusString);
return 0;
}

/*:318*/
#line 6019 "attention.w"

#include "cuda_kernels.h"
/*339:*/
#line 6522 "attention.w"

static void*cu_alloc(size_t bytes)
{
void*p= NULL;
cudaCheck(cudaMalloc(&p,bytes?bytes:16));
cudaCheck(cudaMemsetAsync(p,0,bytes?bytes:16,kit_stream));
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
}

/*:339*//*340:*/
#line 6541 "attention.w"

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

/*:340*//*348:*/
#line 6677 "attention.w"

static const Backend cuda_backend= {"cuda",cu_alloc,cu_release,cu_upload,
cu_download,cu_copy,cu_zero,dev_gemm,cu_embed,cu_embed_backward,cu_add_bias,
cu_gather_rows,cu_scatter_rows,cu_gru_forward,cu_gru_backward,cu_additive_scores,cu_additive_backward,
cu_dot_scores,cu_dot_backward,cu_masked_softmax,cu_softmax_backward,cu_context,
cu_context_backward,cu_tanh_forward,cu_tanh_backward,cu_nll,cu_log_softmax,
cu_argmax,cu_sum,cu_add,cu_adam,cu_gather_keys};

/*:348*/
#line 6021 "attention.w"

/*342:*/
#line 6583 "attention.w"

static void cublas_col_gemm(int ta,int tb,int m,int n,int k,float alpha,
const float*A,int lda,const float*B,int ldb,float beta,float*C,int ldc)
{
cublasCheck(blas.sgemm(kit_blas,ta?CUBLAS_OP_T:CUBLAS_OP_N,
tb?CUBLAS_OP_T:CUBLAS_OP_N,m,n,k,&alpha,A,lda,B,ldb,&beta,C,ldc));
}
static void dev_gemm(int ta,int tb,int M,int N,int K,float alpha,const float*A,
int lda,const float*B,int ldb,float beta,float*C,int ldc)
{
row_major_gemm(cublas_col_gemm,ta,tb,M,N,K,alpha,A,lda,B,ldb,beta,C,ldc);
kit_products++;
kit_flops+= 2.0*M*N*K;
}

/*:342*/
#line 6022 "attention.w"

/*347:*/
#line 6668 "attention.w"

static void cuda_report(void)
{
fprintf(stderr,"cuda: %llu kernel launches, %llu products (%.3f Gflop), %llu graph "
"launches (%llu instantiated, %llu updated)\n",kit_launches,kit_products,
kit_flops*1e-9,kit_graph_launches,kit_graph_new,kit_graph_updated);
}

/*:347*//*351:*/
#line 6730 "attention.w"

#define GRAPH_SLOTS 64
static struct{int B,S,T;cudaGraphExec_t exec;}kit_graph[GRAPH_SLOTS];
static int kit_graphs;

/*:351*//*352:*/
#line 6736 "attention.w"

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
/*354:*/
#line 6774 "attention.w"

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

/*:354*/
#line 6752 "attention.w"

cudaCheck(cudaGraphDestroy(g));
cudaCheck(cudaGraphLaunch(kit_graph[k].exec,kit_stream));
kit_graph_launches++;
}

/*:352*/
#line 6023 "attention.w"

/*344:*/
#line 6616 "attention.w"

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
/*345:*/
#line 6640 "attention.w"

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

/*:345*/
#line 6632 "attention.w"

/*346:*/
#line 6655 "attention.w"

void*work;
cudaCheck(cudaSetDevice(dev));
cudaCheck(cudaStreamCreateWithFlags(&kit_stream,cudaStreamNonBlocking));
if(blas_load(msg,n))return NULL;
cublasCheck(blas.create(&kit_blas));
cublasCheck(blas.set_stream(kit_blas,kit_stream));
cublasCheck(blas.set_math_mode(kit_blas,CUBLAS_DEFAULT_MATH));
cudaCheck(cudaMalloc(&work,(size_t)32<<20));
cublasCheck(blas.set_workspace(kit_blas,work,(size_t)32<<20));
if(getenv("KIT_CUDA_STATS"))atexit(cuda_report);

/*:346*/
#line 6633 "attention.w"

opened= 1;
snprintf(msg,n,"%s",desc);
return&cuda_backend;
}

/*:344*/
#line 6024 "attention.w"


/*:316*/
