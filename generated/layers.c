/*60:*/
#line 1387 "attention.w"

#include "attention.h"
#include <string.h> 
/*77:*/
#line 1695 "attention.w"

static void gru_row_forward(float*restrict h_new,GruCache*restrict cache,
const float*restrict gi,const float*restrict gh,const float*restrict h,int H)
{
for(int j= 0;j<H;j++)
h_new[j]= gru_unit_forward(gi[j],gi[H+j],gi[2*H+j],
gh[j],gh[H+j],gh[2*H+j],h[j],&cache[j]);
}

/*:77*//*379:*/
#line 7309 "attention.w"

typedef float vec16 __attribute__((vector_size(16*sizeof(float)),aligned(sizeof(float))));

/*:379*//*380:*/
#line 7318 "attention.w"

static inline void fold(vec16*s,const vec16*a,const vec16*b,int d)
{
switch(d){
case 8:*s= __builtin_shufflevector(*a,*b,0,1,2,3,4,5,6,7,
16,17,18,19,20,21,22,23)
+__builtin_shufflevector(*a,*b,8,9,10,11,12,13,14,15,
24,25,26,27,28,29,30,31);
break;
case 4:*s= __builtin_shufflevector(*a,*b,0,1,2,3,8,9,10,11,
16,17,18,19,24,25,26,27)
+__builtin_shufflevector(*a,*b,4,5,6,7,12,13,14,15,
20,21,22,23,28,29,30,31);
break;
case 2:*s= __builtin_shufflevector(*a,*b,0,1,4,5,8,9,12,13,
16,17,20,21,24,25,28,29)
+__builtin_shufflevector(*a,*b,2,3,6,7,10,11,14,15,
18,19,22,23,26,27,30,31);
break;
default:*s= __builtin_shufflevector(*a,*b,0,2,4,6,8,10,12,14,
16,18,20,22,24,26,28,30)
+__builtin_shufflevector(*a,*b,1,3,5,7,9,11,13,15,
17,19,21,23,25,27,29,31);
}
}

/*:380*//*381:*/
#line 7349 "attention.w"

static inline __attribute__((always_inline))void dot16(vec16*s,const float*W,int C,
const float*x)
{
vec16 acc[16],f8[8],f4[4],f2[2];
for(int r= 0;r<16;r++)acc[r]= (vec16){0};
int i= 0;
for(;i+16<=C;i+= 16){
vec16 xv= *(const vec16*)(x+i);
for(int r= 0;r<16;r++)acc[r]+= *(const vec16*)(W+(size_t)r*C+i)*xv;
}
for(int r= 0;r<8;r++)fold(&f8[r],&acc[2*r],&acc[2*r+1],8);
for(int r= 0;r<4;r++)fold(&f4[r],&f8[2*r],&f8[2*r+1],4);
for(int r= 0;r<2;r++)fold(&f2[r],&f4[2*r],&f4[2*r+1],2);
fold(s,&f2[0],&f2[1],1);
for(;i<C;i++)
for(int r= 0;r<16;r++)(*s)[r]+= W[(size_t)r*C+i]*x[i];
}

/*:381*//*383:*/
#line 7420 "attention.w"

#define BLOCK 128
static inline __attribute__((always_inline))void transposed_block(float*dx,
const float*W,const float*dy,int C,int OC,const int NB)
{
int j= 0;
for(;j+BLOCK<=C;j+= BLOCK){
vec16 acc[2][BLOCK/16];
for(int b= 0;b<NB;b++)
for(int k= 0;k<BLOCK/16;k++)
acc[b][k]= *(const vec16*)(dx+(size_t)b*C+j+16*k);
for(int i= 0;i<OC;i++){
const float*w= W+(size_t)i*C+j;
for(int k= 0;k<BLOCK;k+= 16)__builtin_prefetch(w+4*(size_t)C+k);
for(int k= 0;k<BLOCK/16;k++){
vec16 wk= *(const vec16*)(w+16*k);
for(int b= 0;b<NB;b++)acc[b][k]+= dy[(size_t)b*OC+i]*wk;
}
}
for(int b= 0;b<NB;b++)
for(int k= 0;k<BLOCK/16;k++)
*(vec16*)(dx+(size_t)b*C+j+16*k)= acc[b][k];
}
/*384:*/
#line 7449 "attention.w"

for(;j<C;j++)
for(int b= 0;b<NB;b++){
float s= dx[(size_t)b*C+j];
for(int i= 0;i<OC;i++)s+= dy[(size_t)b*OC+i]*W[(size_t)i*C+j];
dx[(size_t)b*C+j]= s;
}

/*:384*/
#line 7443 "attention.w"

}

/*:383*//*385:*/
#line 7458 "attention.w"

static void add_transposed_products(float*dx,const float*W,const float*dy,
int B,int C,int OC)
{
int b= 0;
for(;b+2<=B;b+= 2)
transposed_block(dx+(size_t)b*C,W,dy+(size_t)b*OC,C,OC,2);
for(;b<B;b++)transposed_block(dx+(size_t)b*C,W,dy+(size_t)b*OC,C,OC,1);
}

/*:385*//*386:*/
#line 7476 "attention.w"

static inline __attribute__((always_inline))void outer_block(float*dw,
const float*dy,int stride,const float*x,int B,int C,const int R,const int add)
{
int j= 0;
for(;j+32<=C;j+= 32){
vec16 a[8][2];
for(int r= 0;r<R;r++)
for(int h= 0;h<2;h++)
a[r][h]= add?*(const vec16*)(dw+(size_t)r*C+j+16*h):(vec16){0};
for(int b= 0;b<B;b++){
vec16 x0= *(const vec16*)(x+(size_t)b*C+j);
vec16 x1= *(const vec16*)(x+(size_t)b*C+j+16);
for(int r= 0;r<R;r++){
float d= dy[(size_t)b*stride+r];
a[r][0]+= d*x0;
a[r][1]+= d*x1;
}
}
for(int r= 0;r<R;r++)
for(int h= 0;h<2;h++)*(vec16*)(dw+(size_t)r*C+j+16*h)= a[r][h];
}
/*387:*/
#line 7503 "attention.w"

for(;j<C;j++)
for(int r= 0;r<R;r++){
float g= add?dw[(size_t)r*C+j]:0.0f;
for(int b= 0;b<B;b++)g+= dy[(size_t)b*stride+r]*x[(size_t)b*C+j];
dw[(size_t)r*C+j]= g;
}

/*:387*/
#line 7498 "attention.w"

}

/*:386*//*388:*/
#line 7515 "attention.w"

void outer_products(float*dw,const float*dy,int stride,
const float*x,int B,int C,int rows,int add)
{
int r= 0;
if(add){
for(;r+8<=rows;r+= 8)outer_block(dw+(size_t)r*C,dy+r,stride,x,B,C,8,1);
for(;r<rows;r++)outer_block(dw+(size_t)r*C,dy+r,stride,x,B,C,1,1);
}else{
for(;r+8<=rows;r+= 8)outer_block(dw+(size_t)r*C,dy+r,stride,x,B,C,8,0);
for(;r<rows;r++)outer_block(dw+(size_t)r*C,dy+r,stride,x,B,C,1,0);
}
}

/*:388*/
#line 1390 "attention.w"

/*61:*/
#line 1397 "attention.w"

void embedding_forward(float*out,const float*table,const int*ids,int B,int H)
{
for(int b= 0;b<B;b++)
memcpy(out+(size_t)b*H,table+(size_t)ids[b]*H,(size_t)H*sizeof(float));
}

/*:61*//*62:*/
#line 1426 "attention.w"

static inline float dot(const float*a,const float*b,int n)
{
float acc[16]= {0};
int i= 0;
for(;i+16<=n;i+= 16)
for(int k= 0;k<16;k++)acc[k]+= a[i+k]*b[i+k];
for(int k= 0;k<8;k++)acc[k]+= acc[k+8];
for(int k= 0;k<4;k++)acc[k]+= acc[k+4];
for(int k= 0;k<2;k++)acc[k]+= acc[k+2];
float s= acc[0]+acc[1];
for(;i<n;i++)s+= a[i]*b[i];
return s;
}

/*:62*//*64:*/
#line 1450 "attention.w"

void relu_forward(float*out,const float*inp,int n)
{
for(int i= 0;i<n;i++)out[i]= inp[i]> 0.0f?inp[i]:0.0f;
}

/*:64*//*65:*/
#line 1478 "attention.w"

void softmax_forward(float*out,const float*inp,int B,int n)
{
for(int b= 0;b<B;b++){
const float*s= inp+(size_t)b*n;
float*p= out+(size_t)b*n;
/*66:*/
#line 1498 "attention.w"

float mx= s[0],sum= 0.0f;
for(int i= 1;i<n;i++)if(s[i]> mx)mx= s[i];
for(int i= 0;i<n;i++)sum+= p[i]= expf(s[i]-mx);
for(int i= 0;i<n;i++)p[i]/= sum;

/*:66*/
#line 1484 "attention.w"

}
}

void log_softmax_forward(float*out,const float*inp,int B,int n)
{
for(int b= 0;b<B;b++){
const float*s= inp+(size_t)b*n;
float*p= out+(size_t)b*n;
/*67:*/
#line 1505 "attention.w"

float mx= s[0],sum= 0.0f;
for(int i= 1;i<n;i++)if(s[i]> mx)mx= s[i];
for(int i= 0;i<n;i++)sum+= expf(s[i]-mx);
float lse= mx+logf(sum);
for(int i= 0;i<n;i++)p[i]= s[i]-lse;

/*:67*/
#line 1493 "attention.w"

}
}

/*:65*//*69:*/
#line 1526 "attention.w"

float nll_forward(const float*logp,const int*target,int B,int V)
{
float loss= 0.0f;
/*70:*/
#line 1535 "attention.w"

for(int b= 0;b<B;b++)loss-= logp[(size_t)b*V+target[b]];

/*:70*/
#line 1530 "attention.w"

return loss;
}

/*:69*//*78:*/
#line 1705 "attention.w"

void gru_cell_forward(float*h_new,GruCache*cache,const float*gi,
const float*gh,const float*h,int B,int H)
{
for(int b= 0;b<B;b++)
gru_row_forward(h_new+(size_t)b*H,cache+(size_t)b*H,
gi+(size_t)b*3*H,gh+(size_t)b*3*H,h+(size_t)b*H,H);
}

/*:78*//*80:*/
#line 1738 "attention.w"

void attention_forward(float*w,float*ctx,const float*scores,
const float*enc_out,int B,int L,int H)
{
for(int b= 0;b<B;b++){
const float*s= scores+(size_t)b*L,*O= enc_out+(size_t)b*L*H;
float*wb= w+(size_t)b*L,*c= ctx+(size_t)b*H;
/*81:*/
#line 1750 "attention.w"

softmax_forward(wb,s,1,L);
for(int j= 0;j<H;j++)c[j]= 0.0f;
for(int i= 0;i<L;i++)
for(int j= 0;j<H;j++)c[j]+= wb[i]*O[(size_t)i*H+j];

/*:81*/
#line 1745 "attention.w"

}
}

/*:80*//*102:*/
#line 2107 "attention.w"

void nll_backward(float*dlogits,const float*logp,const int*target,int B,int V)
{
/*103:*/
#line 2114 "attention.w"

for(int b= 0;b<B;b++)
for(int j= 0;j<V;j++)
dlogits[(size_t)b*V+j]= expf(logp[(size_t)b*V+j])-(j==target[b]?1.0f:0.0f);

/*:103*/
#line 2110 "attention.w"

}

/*:102*//*105:*/
#line 2132 "attention.w"

void linear_backward(float*dinp,float*dweight,float*dbias,
const float*dout,const float*inp,const float*weight,int B,int C,int OC)
{
if(dinp)add_transposed_products(dinp,weight,dout,B,C,OC);
if(dweight)outer_products(dweight,dout,OC,inp,B,C,OC,1);
if(dbias)
for(int o= 0;o<OC;o++)
for(int b= 0;b<B;b++)dbias[o]+= dout[(size_t)b*OC+o];
}

/*:105*//*106:*/
#line 2145 "attention.w"

void relu_backward(float*dinp,const float*dout,const float*inp,int n)
{
for(int i= 0;i<n;i++)dinp[i]= inp[i]> 0.0f?dout[i]:0.0f;
}

/*:106*//*107:*/
#line 2155 "attention.w"

void embedding_backward(float*dtable,const float*dout,const int*ids,int B,int H)
{
for(int b= 0;b<B;b++){
float*row= dtable+(size_t)ids[b]*H;
for(int j= 0;j<H;j++)row[j]+= dout[(size_t)b*H+j];
}
}

/*:107*//*112:*/
#line 2228 "attention.w"

void gru_cell_backward(float*dgi,float*dgh,float*dh,const float*dh_new,
const float*h,const GruCache*cache,int B,int H)
{
for(int b= 0;b<B;b++){
float*i3= dgi+(size_t)b*3*H,*h3= dgh+(size_t)b*3*H;
for(int j= 0;j<H;j++){
size_t k= (size_t)b*H+j;
gru_unit_backward(dh_new[k],h[k],&cache[k],&i3[j],&i3[H+j],
&i3[2*H+j],&h3[2*H+j],&dh[k]);
h3[j]= i3[j];
h3[H+j]= i3[H+j];
}
}
}

/*:112*//*114:*/
#line 2270 "attention.w"

void attention_backward(float*dscores,float*denc_out,const float*dctx,
const float*w,const float*enc_out,int B,int L,int H)
{
for(int b= 0;b<B;b++){
const float*wb= w+(size_t)b*L,*O= enc_out+(size_t)b*L*H;
const float*dc= dctx+(size_t)b*H;
float*ds= dscores+(size_t)b*L,*dO= denc_out+(size_t)b*L*H;
/*115:*/
#line 2283 "attention.w"

float avg= 0.0f;
for(int i= 0;i<L;i++){
ds[i]= dot(dc,O+(size_t)i*H,H);
avg+= wb[i]*ds[i];
for(int j= 0;j<H;j++)dO[(size_t)i*H+j]+= wb[i]*dc[j];
}
for(int i= 0;i<L;i++)ds[i]= wb[i]*(ds[i]-avg);

/*:115*/
#line 2278 "attention.w"

}
}

/*:114*//*382:*/
#line 7377 "attention.w"

void linear_forward(float*out,const float*inp,const float*weight,
const float*bias,int B,int C,int OC)
{
int o= 0;
for(;o+16<=OC;o+= 16){
const float*w= weight+(size_t)o*C;
vec16 beta= bias?*(const vec16*)(bias+o):(vec16){0},s;
for(int b= 0;b<B;b++){
const float*x= inp+(size_t)b*C;
if(C==128)dot16(&s,w,128,x);
else if(C==256)dot16(&s,w,256,x);
else dot16(&s,w,C,x);
*(vec16*)(out+(size_t)b*OC+o)= s+beta;
}
}
for(;o<OC;o++){
const float*w= weight+(size_t)o*C;
float beta= bias?bias[o]:0.0f;
for(int b= 0;b<B;b++)
out[(size_t)b*OC+o]= dot(w,inp+(size_t)b*C,C)+beta;
}
}

/*:382*/
#line 1391 "attention.w"


/*:60*/
