/*350:*/
#line 6690 "attention.w"

#include "attention.h"
#include <stdio.h> 
const Backend*cuda_backend_open(char*msg,size_t n)
{
snprintf(msg,n,"this program was built without CUDA (no nvcc was found when it "
"was built); install the CUDA toolkit and run make again");
return NULL;
}
void backend_train_batch(BModel*bm,const Batch*bt,double lr)
{
bmodel_train_batch(bm,bt,lr);
}

/*:350*/
