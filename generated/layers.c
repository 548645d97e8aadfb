/*63:*/
#line 1056 "attention.w"

#include "attention.h"
#include <string.h> 
/*107:*/
#line 1659 "attention.w"

#define BLOCK 128
static void add_transposed_product(float*dx,const float*W,const float*dy,int C,int OC)
{
int j= 0;
for(;j+BLOCK<=C;j+= BLOCK){
float acc[BLOCK];
for(int k= 0;k<BLOCK;k++)acc[k]= dx[j+k];
for(int i= 0;i<OC;i++){
const float*w= W+(size_t)i*C+j;
for(int k= 0;k<BLOCK;k+= 16)__builtin_prefetch(w+4*(size_t)C+k);
for(int k= 0;k<BLOCK;k++)acc[k]+= dy[i]*w[k];
}
for(int k= 0;k<BLOCK;k++)dx[j+k]= acc[k];
}
for(;j<C;j++)
for(int i= 0;i<OC;i++)dx[j]+= dy[i]*W[(size_t)i*C+j];
}

/*:107*//*108:*/
#line 1682 "attention.w"

void add_outer_products(float*dw,const float*dy,int stride,
const float*x,int B,int C)
{
int j= 0;
for(;j+BLOCK<=C;j+= BLOCK){
float acc[BLOCK];
for(int k= 0;k<BLOCK;k++)acc[k]= dw[j+k];
for(int b= 0;b<B;b++){
const float*xb= x+(size_t)b*C+j;
for(int k= 0;k<BLOCK;k++)acc[k]+= dy[(size_t)b*stride]*xb[k];
}
for(int k= 0;k<BLOCK;k++)dw[j+k]= acc[k];
}
for(;j<C;j++)
for(int b= 0;b<B;b++)dw[j]+= dy[(size_t)b*stride]*x[(size_t)b*C+j];
}

/*:108*/
#line 1059 "attention.w"

/*64:*/
#line 1066 "attention.w"

void embedding_forward(float*out,const float*table,const int*ids,int B,int H)
{
for(int b= 0;b<B;b++)
memcpy(out+(size_t)b*H,table+(size_t)ids[b]*H,(size_t)H*sizeof(float));
}

/*:64*//*65:*/
#line 1087 "attention.w"

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

/*:65*//*66:*/
#line 1104 "attention.w"

void linear_forward(float*out,const float*inp,const float*weight,
const float*bias,int B,int C,int OC)
{
for(int o= 0;o<OC;o++){
const float*w= weight+(size_t)o*C;
float beta= bias?bias[o]:0.0f;
for(int b= 0;b<B;b++)
out[(size_t)b*OC+o]= dot(w,inp+(size_t)b*C,C)+beta;
}
}

/*:66*//*67:*/
#line 1119 "attention.w"

void relu_forward(float*out,const float*inp,int n)
{
for(int i= 0;i<n;i++)out[i]= inp[i]> 0.0f?inp[i]:0.0f;
}

/*:67*//*68:*/
#line 1141 "attention.w"

void softmax_forward(float*out,const float*inp,int B,int n)
{
for(int b= 0;b<B;b++){
const float*s= inp+(size_t)b*n;
float*p= out+(size_t)b*n;
/*69:*/
#line 1160 "attention.w"

float mx= s[0],sum= 0.0f;
for(int i= 1;i<n;i++)if(s[i]> mx)mx= s[i];
for(int i= 0;i<n;i++)sum+= p[i]= expf(s[i]-mx);
for(int i= 0;i<n;i++)p[i]/= sum;

/*:69*/
#line 1147 "attention.w"

}
}

void log_softmax_forward(float*out,const float*inp,int B,int n)
{
for(int b= 0;b<B;b++){
const float*s= inp+(size_t)b*n;
float*p= out+(size_t)b*n;
/*70:*/
#line 1166 "attention.w"

float mx= s[0],sum= 0.0f;
for(int i= 1;i<n;i++)if(s[i]> mx)mx= s[i];
for(int i= 0;i<n;i++)sum+= expf(s[i]-mx);
float lse= mx+logf(sum);
for(int i= 0;i<n;i++)p[i]= s[i]-lse;

/*:70*/
#line 1156 "attention.w"

}
}

/*:68*//*72:*/
#line 1187 "attention.w"

float nll_forward(const float*logp,const int*target,int B,int V)
{
float loss= 0.0f;
/*73:*/
#line 1195 "attention.w"

for(int b= 0;b<B;b++)loss-= logp[(size_t)b*V+target[b]];

/*:73*/
#line 1191 "attention.w"

return loss;
}

/*:72*//*80:*/
#line 1271 "attention.w"

void gru_cell_forward(float*h_new,GruCache*cache,const float*gi,
const float*gh,const float*h,int B,int H)
{
for(int b= 0;b<B;b++){
const float*i3= gi+(size_t)b*3*H,*h3= gh+(size_t)b*3*H;
for(int j= 0;j<H;j++)
h_new[(size_t)b*H+j]= gru_unit_forward(i3[j],i3[H+j],i3[2*H+j],
h3[j],h3[H+j],h3[2*H+j],h[(size_t)b*H+j],&cache[(size_t)b*H+j]);
}
}

/*:80*//*82:*/
#line 1301 "attention.w"

void attention_forward(float*w,float*ctx,const float*scores,
const float*enc_out,int B,int L,int H)
{
for(int b= 0;b<B;b++){
const float*s= scores+(size_t)b*L,*O= enc_out+(size_t)b*L*H;
float*wb= w+(size_t)b*L,*c= ctx+(size_t)b*H;
/*83:*/
#line 1312 "attention.w"

softmax_forward(wb,s,1,L);
for(int j= 0;j<H;j++)c[j]= 0.0f;
for(int i= 0;i<L;i++)
for(int j= 0;j<H;j++)c[j]+= wb[i]*O[(size_t)i*H+j];

/*:83*/
#line 1308 "attention.w"

}
}

/*:82*//*103:*/
#line 1606 "attention.w"

void nll_backward(float*dlogits,const float*logp,const int*target,int B,int V)
{
/*104:*/
#line 1612 "attention.w"

for(int b= 0;b<B;b++)
for(int j= 0;j<V;j++)
dlogits[(size_t)b*V+j]= expf(logp[(size_t)b*V+j])-(j==target[b]?1.0f:0.0f);

/*:104*/
#line 1609 "attention.w"

}

/*:103*//*106:*/
#line 1630 "attention.w"

void linear_backward(float*dinp,float*dweight,float*dbias,
const float*dout,const float*inp,const float*weight,int B,int C,int OC)
{
if(dinp)
for(int b= 0;b<B;b++)
add_transposed_product(dinp+(size_t)b*C,weight,dout+(size_t)b*OC,C,OC);
if(dweight)
for(int o= 0;o<OC;o++)
add_outer_products(dweight+(size_t)o*C,dout+o,OC,inp,B,C);
if(dbias)
for(int o= 0;o<OC;o++)
for(int b= 0;b<B;b++)dbias[o]+= dout[(size_t)b*OC+o];
}

/*:106*//*109:*/
#line 1702 "attention.w"

void relu_backward(float*dinp,const float*dout,const float*inp,int n)
{
for(int i= 0;i<n;i++)dinp[i]= inp[i]> 0.0f?dout[i]:0.0f;
}

/*:109*//*110:*/
#line 1712 "attention.w"

void embedding_backward(float*dtable,const float*dout,const int*ids,int B,int H)
{
for(int b= 0;b<B;b++){
float*row= dtable+(size_t)ids[b]*H;
for(int j= 0;j<H;j++)row[j]+= dout[(size_t)b*H+j];
}
}

/*:110*//*115:*/
#line 1776 "attention.w"

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

/*:115*//*117:*/
#line 1809 "attention.w"

void attention_backward(float*dscores,float*denc_out,const float*dctx,
const float*w,const float*enc_out,int B,int L,int H)
{
for(int b= 0;b<B;b++){
const float*wb= w+(size_t)b*L,*O= enc_out+(size_t)b*L*H;
const float*dc= dctx+(size_t)b*H;
float*ds= dscores+(size_t)b*L,*dO= denc_out+(size_t)b*L*H;
/*118:*/
#line 1821 "attention.w"

float avg= 0.0f;
for(int i= 0;i<L;i++){
ds[i]= dot(dc,O+(size_t)i*H,H);
avg+= wb[i]*ds[i];
for(int j= 0;j<H;j++)dO[(size_t)i*H+j]+= wb[i]*dc[j];
}
for(int i= 0;i<L;i++)ds[i]= wb[i]*(ds[i]-avg);

/*:118*/
#line 1817 "attention.w"

}
}

/*:117*/
#line 1060 "attention.w"


/*:63*/
