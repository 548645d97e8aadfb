/*389:*/
#line 7558 "attention.w"

#include "attention.h"
#include <stdlib.h> 
#include <string.h> 
#include <errno.h> 
#include <unistd.h> 
#include <sys/stat.h> 
#include <cjson/cJSON.h> 
/*409:*/
#line 7901 "attention.w"

static const char*meta_string(const cJSON*meta,const char*key,const char*path)
{
const cJSON*v= cJSON_GetObjectItemCaseSensitive(meta,key);
if(!cJSON_IsObject(meta))kit_fail("%s: the header has no __metadata__ object",path);
else if(!cJSON_IsString(v))kit_fail("%s: the metadata has no string \"%s\"",path,key);
else return v->valuestring;
return NULL;
}

static int meta_int(const cJSON*meta,const char*key,const char*path,
long lo,long hi,int*out)
{
const char*s= meta_string(meta,key,path);
if(!s)return-1;
char*end;
errno= 0;
long v= strtol(s,&end,10);
if(errno||end==s||*end||v<lo||v> hi)
return kit_fail("%s: metadata \"%s\" is \"%s\", not a whole number from %ld to %ld",
path,key,s,lo,hi);
*out= (int)v;
return 0;
}

/*:409*//*410:*/
#line 7928 "attention.w"

static int meta_vocab(const cJSON*meta,const char*key,const char*path,Vocab*v)
{
const char*s= meta_string(meta,key,path);
if(!s)return-1;
cJSON*a= cJSON_Parse(s);
int n= cJSON_GetArraySize(a),status= 0;
if(!cJSON_IsArray(a)||n<2)
status= kit_fail("%s: metadata \"%s\" is not a JSON array of at least two words",
path,key);
vocab_init(v);
for(int k= 0;status==0&&k<n;k++){
const cJSON*w= cJSON_GetArrayItem(a,k);
if(!cJSON_IsString(w)||!*w->valuestring||strlen(w->valuestring)>=MAX_WORD_BYTES)
status= kit_fail("%s: word %d of \"%s\" is not a non-empty string of fewer than %d bytes",
path,k,key,MAX_WORD_BYTES);
else if((k<2?vocab_find(v,w->valuestring)!=k:vocab_add(v,w->valuestring)!=k))
status= kit_fail("%s: word %d of \"%s\", \"%s\", is %s",path,k,key,
w->valuestring,k<2?"not the special word expected there":"a repeat");
}
cJSON_Delete(a);
return status;
}

/*:410*//*415:*/
#line 8006 "attention.w"

static int check_tensor(const cJSON*t,const TensorSpec*s,size_t data_size,
size_t*begin,const char*path)
{
const cJSON*dtype= cJSON_GetObjectItemCaseSensitive(t,"dtype");
const cJSON*shape= cJSON_GetObjectItemCaseSensitive(t,"shape");
const cJSON*offs= cJSON_GetObjectItemCaseSensitive(t,"data_offsets");
if(!cJSON_IsString(dtype)||strcmp(dtype->valuestring,"F32")!=0)
return kit_fail("%s: tensor \"%s\" has dtype %s; the kit reads F32 only",path,
s->name,cJSON_IsString(dtype)?dtype->valuestring:"(none)");
/*416:*/
#line 8022 "attention.w"

int nd= s->cols?2:1,ok= cJSON_IsArray(shape)&&cJSON_GetArraySize(shape)==nd;
for(int d= 0;ok&&d<nd;d++){
const cJSON*x= cJSON_GetArrayItem(shape,d);
ok= cJSON_IsNumber(x)&&x->valuedouble==(d?s->cols:s->rows);
}
if(!ok){
char*got= cJSON_PrintUnformatted(shape);
int r= s->cols?kit_fail("%s: tensor \"%s\" has shape %s; this model needs [%d,%d]",
path,s->name,got?got:"(none)",s->rows,s->cols)
:kit_fail("%s: tensor \"%s\" has shape %s; this model needs [%d]",path,s->name,
got?got:"(none)",s->rows);
free(got);
return r;
}

/*:416*/
#line 8016 "attention.w"

/*417:*/
#line 8040 "attention.w"

const cJSON*b= cJSON_GetArrayItem(offs,0),*e= cJSON_GetArrayItem(offs,1);
double need= 4.0*(double)spec_numel(s);
if(!cJSON_IsArray(offs)||cJSON_GetArraySize(offs)!=2||!cJSON_IsNumber(b)
||!cJSON_IsNumber(e)||b->valuedouble<0||b->valuedouble!=floor(b->valuedouble)
||e->valuedouble> (double)data_size||e->valuedouble-b->valuedouble!=need)
return kit_fail("%s: tensor \"%s\" has data offsets that do not give %.0f bytes "
"inside the %zu bytes of data",path,s->name,need,data_size);
*begin= (size_t)b->valuedouble;

/*:417*/
#line 8017 "attention.w"

return 0;
}

/*:415*//*418:*/
#line 8052 "attention.w"

static int check_tiling(const TensorSpec*s,int n,const size_t*begin,size_t data_size,
const char*path)
{
int order[NP_TENSORS];
for(int k= 0;k<n;k++)order[k]= k;
for(int i= 1;i<n;i++)
for(int j= i;j> 0&&begin[order[j]]<begin[order[j-1]];j--){
int x= order[j];
order[j]= order[j-1];
order[j-1]= x;
}
size_t at= 0;
for(int i= 0;i<n;i++){
int k= order[i];
if(begin[k]!=at)
return kit_fail("%s: tensor \"%s\" starts at data byte %zu, but %s at %zu",
path,s[k].name,begin[k],begin[k]<at?"the previous tensor ends":
"the gap before it starts",at);
at+= 4*spec_numel(&s[k]);
}
if(at!=data_size)
return kit_fail("%s: %zu bytes after the last tensor belong to none",path,data_size-at);
return 0;
}

/*:418*/
#line 7566 "attention.w"

/*390:*/
#line 7571 "attention.w"

static void put_f32(unsigned char*b,float x)
{
uint32_t u;
memcpy(&u,&x,4);
for(int k= 0;k<4;k++)b[k]= (unsigned char)(u>>(8*k));
}

static float get_f32(const unsigned char*b)
{
uint32_t u= 0;
for(int k= 0;k<4;k++)u|= (uint32_t)b[k]<<(8*k);
float x;
memcpy(&x,&u,4);
return x;
}

/*:390*//*391:*/
#line 7589 "attention.w"

static char*vocab_to_json(const Vocab*v)
{
cJSON*a= cJSON_CreateArray();
for(int k= 0;k<v->n;k++)cJSON_AddItemToArray(a,cJSON_CreateString(v->word[k]));
char*s= cJSON_PrintUnformatted(a);
cJSON_Delete(a);
return s;
}

/*:391*//*393:*/
#line 7617 "attention.w"

static char*checkpoint_header(const CkptView*m,size_t*len)
{
const TensorSpec*s= m->spec;
cJSON*root= cJSON_CreateObject();
/*394:*/
#line 7635 "attention.w"

cJSON*meta= cJSON_AddObjectToObject(root,"__metadata__");
char*vin= vocab_to_json(m->vin),*vout= vocab_to_json(m->vout),num[32];
cJSON_AddStringToObject(meta,"input_vocab",vin);
cJSON_AddStringToObject(meta,"output_vocab",vout);
snprintf(num,sizeof num,"%d",m->cfg->H);
cJSON_AddStringToObject(meta,"hidden_size",num);
snprintf(num,sizeof num,"%d",m->cfg->L);
cJSON_AddStringToObject(meta,"max_length",num);
cJSON_AddStringToObject(meta,"attention",kind_names[m->kind]);
snprintf(num,sizeof num,"%d",m->heads);
if(m->kind==KIND_MULTIHEAD)cJSON_AddStringToObject(meta,"heads",num);
free(vin);
free(vout);

/*:394*/
#line 7622 "attention.w"

/*395:*/
#line 7651 "attention.w"

size_t off= 0;
for(int k= 0;k<m->n;k++){
cJSON*t= cJSON_AddObjectToObject(root,s[k].name);
cJSON_AddStringToObject(t,"dtype","F32");
cJSON*shape= cJSON_AddArrayToObject(t,"shape");
cJSON_AddItemToArray(shape,cJSON_CreateNumber(s[k].rows));
if(s[k].cols)cJSON_AddItemToArray(shape,cJSON_CreateNumber(s[k].cols));
cJSON*offs= cJSON_AddArrayToObject(t,"data_offsets");
cJSON_AddItemToArray(offs,cJSON_CreateNumber((double)off));
off+= 4*spec_numel(&s[k]);
cJSON_AddItemToArray(offs,cJSON_CreateNumber((double)off));
}

/*:395*/
#line 7623 "attention.w"

char*json= cJSON_PrintUnformatted(root);
cJSON_Delete(root);
size_t n= strlen(json),padded= (n+7)/8*8;
json= xrealloc(json,padded+1);
memset(json+n,' ',padded-n);
json[padded]= '\0';
*len= padded;
return json;
}

/*:393*//*397:*/
#line 7692 "attention.w"

static int checkpoint_write(const CkptView*m,const char*path)
{
if(save_target_check(path))return-1;
size_t hlen;
char*header= checkpoint_header(m,&hlen);
char*tmp= xcalloc(strlen(path)+16,1);
sprintf(tmp,"%s.tmp-XXXXXX",path);
int fd= mkstemp(tmp),ok= fd>=0;
if(!ok){
kit_fail("%s: cannot create a temporary file beside it: %s",path,strerror(errno));
free(tmp);
free(header);
return-1;
}
FILE*f= fdopen(fd,"wb");
/*399:*/
#line 7730 "attention.w"

unsigned char len8[8],buf[4096];
for(int k= 0;k<8;k++)len8[k]= (unsigned char)((uint64_t)hlen>>(8*k));
ok= ok&&fwrite(len8,1,8,f)==8&&fwrite(header,1,hlen,f)==hlen;
for(size_t i= 0;ok&&i<m->n_params;i+= 1024){
size_t k= m->n_params-i<1024?m->n_params-i:1024;
for(size_t j= 0;j<k;j++)put_f32(buf+4*j,m->data[i+j]);
ok= fwrite(buf,4,k,f)==k;
}

/*:399*/
#line 7708 "attention.w"

/*398:*/
#line 7723 "attention.w"

if(ok)ok= fflush(f)==0&&fsync(fd)==0&&fchmod(fd,0644)==0;
ok= (fclose(f)==0)&&ok;
int refused= ok&&save_target_check(path)!=0;
if(ok)ok= !refused&&rename(tmp,path)==0;

/*:398*/
#line 7709 "attention.w"

int status= ok?0:refused?-1:
kit_fail("%s: cannot write the checkpoint: %s",path,strerror(errno));
if(!ok)unlink(tmp);
free(tmp);
free(header);
return status;
}

/*:397*//*400:*/
#line 7742 "attention.w"

int checkpoint_save(const Model*m,const char*path)
{
TensorSpec s[N_TENSORS];
tensor_specs(&m->cfg,s);
CkptView v= {KIND_SEED,1,&m->cfg,&m->vin,&m->vout,N_TENSORS,s,m->param_mem,
m->n_params};
return checkpoint_write(&v,path);
}

int bcheckpoint_save(const BModel*bm,const char*path)
{
TensorSpec s[NP_TENSORS];
int n= 0;
for(int k= 0;k<NP_TENSORS;k++)if(bm->spec[k].rows)s[n++]= bm->spec[k];
float*host= xcalloc(bm->n_params,sizeof(float));
bm->be->download(host,bm->p,bm->n_params*sizeof(float));
CkptView v= {bm->kind,bm->heads,&bm->cfg,&bm->vin,&bm->vout,n,s,host,bm->n_params};
int status= checkpoint_write(&v,path);
free(host);
return status;
}

/*:400*//*402:*/
#line 7776 "attention.w"

int checkpoint_load(Model*m,const char*path)
{
return checkpoint_load_any(path,m,NULL,NULL,0)<0?-1:0;
}

/*:402*//*403:*/
#line 7786 "attention.w"

int checkpoint_load_any(const char*path,Model*m,BModel*bm,const Backend*be,int B_cap)
{
FILE*f= fopen(path,"rb");
if(!f)return kit_fail("%s: cannot open: %s",path,strerror(errno));
char*header= NULL;
unsigned char*data= NULL;
cJSON*root= NULL;
Vocab vin= {0},vout= {0};
Config cfg= {0};
int status= -1,kind= 0,heads= 1;
size_t data_size= 0;
/*405:*/
#line 7821 "attention.w"

struct stat st;
if(fstat(fileno(f),&st)!=0){
kit_fail("%s: cannot stat: %s",path,strerror(errno));
goto done;
}
unsigned char len8[8];
if(st.st_size<8||fread(len8,1,8,f)!=8){
kit_fail("%s: the file has %lld bytes, too few for a safetensors file",path,
(long long)st.st_size);
goto done;
}
uint64_t hlen= 0;
for(int k= 0;k<8;k++)hlen|= (uint64_t)len8[k]<<(8*k);
if(hlen==0||hlen> (uint64_t)st.st_size-8||hlen> 100000000){
kit_fail("%s: the header claims %llu bytes but %lld bytes follow the length field",
path,(unsigned long long)hlen,(long long)st.st_size-8);
goto done;
}
data_size= (size_t)((uint64_t)st.st_size-8-hlen);

/*:405*/
#line 7798 "attention.w"

/*406:*/
#line 7844 "attention.w"

header= xcalloc((size_t)hlen+1,1);
if(fread(header,1,(size_t)hlen,f)!=hlen){
kit_fail("%s: cannot read the %llu-byte header",path,(unsigned long long)hlen);
goto done;
}
const char*end= NULL;
root= cJSON_ParseWithLengthOpts(header,(size_t)hlen,&end,0);
if(!root||!cJSON_IsObject(root)){
const char*e= cJSON_GetErrorPtr();
kit_fail("%s: the header is not a JSON object (error near header byte %ld)",path,
e&&e>=header&&e<=header+hlen?(long)(e-header):0L);
goto done;
}
for(const char*q= end;q<header+hlen;q++)
if(*q!=' '){
kit_fail("%s: the header has bytes other than spaces after its JSON object "
"(header byte %ld)",path,(long)(q-header));
goto done;
}

/*:406*/
#line 7799 "attention.w"

/*407:*/
#line 7867 "attention.w"

cJSON*meta= cJSON_GetObjectItemCaseSensitive(root,"__metadata__");
const char*att= meta_string(meta,"attention",path);
if(!att)goto done;
/*408:*/
#line 7887 "attention.w"

kind= kind_from_name(att);
if(kind<0){
kit_fail("%s: attention \"%s\" is not a kind this kit knows (seed, bahdanau, "
"luong-dot, luong-general, multihead)",path,att);
goto done;
}
if((kind==KIND_SEED&&!m)||(kind!=KIND_SEED&&!bm)){
kit_fail("%s: a model with %s attention, where this needs %s",path,att,
m?"the notebook's (seed)":"one of Part II's kinds");
goto done;
}

/*:408*/
#line 7871 "attention.w"

if(meta_int(meta,"hidden_size",path,1,1<<16,&cfg.H)||meta_int(meta,
"max_length",path,1,DEFAULT_MAX_LENGTH*4,&cfg.L))goto done;
if(meta_vocab(meta,"input_vocab",path,&vin)||meta_vocab(meta,
"output_vocab",path,&vout))goto done;
cfg.V_in= vin.n;
cfg.V_out= vout.n;
if(kind==KIND_MULTIHEAD){
if(meta_int(meta,"heads",path,1,cfg.H,&heads))goto done;
if(cfg.H%heads){
kit_fail("%s: %d heads do not divide the hidden size %d",path,heads,cfg.H);
goto done;
}
}

/*:407*/
#line 7800 "attention.w"

/*411:*/
#line 7955 "attention.w"

TensorSpec spec[NP_TENSORS];
int n_spec= 0;
/*412:*/
#line 7967 "attention.w"

if(kind==KIND_SEED){
tensor_specs(&cfg,spec);
n_spec= N_TENSORS;
}else{
TensorSpec all[NP_TENSORS];
batched_specs(kind,&cfg,all);
for(int k= 0;k<NP_TENSORS;k++)if(all[k].rows)spec[n_spec++]= all[k];
}

/*:412*/
#line 7958 "attention.w"

size_t begin[NP_TENSORS];
int seen[NP_TENSORS]= {0};
/*413:*/
#line 7978 "attention.w"

for(const cJSON*t= root->child;t;t= t->next){
if(strcmp(t->string,"__metadata__")==0)continue;
int k= 0;
while(k<n_spec&&strcmp(spec[k].name,t->string)!=0)k++;
if(k==n_spec){
kit_fail("%s: unexpected tensor \"%s\" (not part of a model with %s attention)",
path,t->string,kind_names[kind]);
goto done;
}
if(seen[k]++){
kit_fail("%s: tensor \"%s\" appears twice",path,t->string);
goto done;
}
if(check_tensor(t,&spec[k],data_size,&begin[k],path))goto done;
}

/*:413*/
#line 7961 "attention.w"

/*414:*/
#line 7996 "attention.w"

for(int k= 0;k<n_spec;k++)
if(!seen[k]){
kit_fail("%s: tensor \"%s\" is missing (a model with %s attention has it)",path,
spec[k].name,kind_names[kind]);
goto done;
}

/*:414*/
#line 7962 "attention.w"

if(check_tiling(spec,n_spec,begin,data_size,path))goto done;

/*:411*/
#line 7801 "attention.w"

/*419:*/
#line 8079 "attention.w"

data= xcalloc(data_size,1);
if(fread(data,1,data_size,f)!=data_size){
kit_fail("%s: cannot read the %zu bytes of data",path,data_size);
goto done;
}
float*host= xcalloc(data_size/4+1,sizeof(float)),*at= host;
for(int k= 0;k<n_spec;k++)
for(size_t i= 0;i<spec_numel(&spec[k]);i++)*at++= get_f32(data+begin[k]+4*i);
if(kind==KIND_SEED){
model_alloc(m,&cfg,&vin,&vout);
memcpy(m->param_mem,host,m->n_params*sizeof(float));
}else{
bmodel_alloc(bm,be,kind,heads,&cfg,&vin,&vout,B_cap);
be->upload(bm->p,host,bm->n_params*sizeof(float));
}
free(host);
status= kind;

/*:419*/
#line 7802 "attention.w"

done:
/*404:*/
#line 7809 "attention.w"

if(status<0){
if(vin.word)vocab_free(&vin);
if(vout.word)vocab_free(&vout);
}
cJSON_Delete(root);
free(header);
free(data);
fclose(f);

/*:404*/
#line 7804 "attention.w"

return status;
}

/*:403*/
#line 7567 "attention.w"


/*:389*/
