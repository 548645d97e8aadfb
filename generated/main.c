/*515:*/
#line 9972 "attention.w"

#include "attention.h"
#include <stdlib.h> 
#include <string.h> 
#include <errno.h> 
#include <getopt.h> 
#include <time.h> 
#include <unistd.h> 
#include <sys/stat.h> 
/*496:*/
#line 9552 "attention.w"

#define MAX_OUTS 8
static int add_out(const char*cmd,const char*path,const char**outs,int*n)
{
if(*n==MAX_OUTS){
fprintf(stderr,"attention %s: at most %d --out files\n",cmd,MAX_OUTS);
return-1;
}
outs[(*n)++]= path;
return 0;
}

static int check_outs(const char*cmd,const char**outs,int n)
{
for(int k= 0;k<n;k++)
if(figure_check_path(outs[k])){
fprintf(stderr,"attention %s: %s\n",cmd,kit_error());
return-1;
}
return 0;
}

/*:496*//*497:*/
#line 9575 "attention.w"

static void report_figure(const char*path,const char*what,double seconds)
{
FILE*f= fopen(path,"rb");
long size= -1;
if(f&&fseek(f,0,SEEK_END)==0)size= ftell(f);
if(f)fclose(f);
printf("Wrote %s (%s, %.1f kB, %.1f ms)\n",path,what,size/1000.0,1e3*seconds);
}

/*:497*//*507:*/
#line 9797 "attention.w"

#include <unistd.h> 
static const char*loss_log_path;
static double*loss_log;
static long loss_log_n,loss_log_cap;

static void loss_log_add(double loss)
{
if(!loss_log_path)return;
if(loss_log_n==loss_log_cap){
loss_log_cap= loss_log_cap?2*loss_log_cap:1024;
loss_log= xrealloc(loss_log,(size_t)loss_log_cap*sizeof(double));
}
loss_log[loss_log_n++]= loss;
}

/*:507*//*508:*/
#line 9816 "attention.w"

static int loss_log_check(void)
{
const char*slash= strrchr(loss_log_path,'/');
char*dir= slash?xstrdup(loss_log_path):xstrdup(".");
if(slash)dir[slash==loss_log_path?1:slash-loss_log_path]= 0;
int ok= access(dir,W_OK)==0;
if(!ok)fprintf(stderr,"attention train: %s: cannot write the loss log: %s: %s\n",
loss_log_path,dir,strerror(errno));
else if(save_target_check(loss_log_path))
ok= 0,fprintf(stderr,"attention train: %s\n",kit_error());
free(dir);
return ok?0:-1;
}

static int loss_log_save(void)
{
char*text= xcalloc((size_t)loss_log_n+1,40),*p= text;
for(long e= 0;e<loss_log_n;e++)p+= sprintf(p,"%ld\t%.9g\n",e+1,loss_log[e]);
int status= write_file_atomic(loss_log_path,text,(size_t)(p-text));
if(status)fprintf(stderr,"attention train: %s\n",kit_error());
free(text);
free(loss_log);
return status;
}

/*:508*//*517:*/
#line 10010 "attention.w"

static int check_stdout(const char*cmd,int status)
{
int err= fflush(stdout)!=0?errno:0;
if(!err&&!ferror(stdout))return status;
fprintf(stderr,"attention%s%s: cannot write the standard output%s%s\n",cmd?" ":"",
cmd?cmd:"",err?": ":"",err?strerror(err):"");
return status?status:1;
}

/*:517*//*521:*/
#line 10061 "attention.w"

static int parse_long(const char*cmd,const char*opt,const char*s,long lo,
long hi,long*out)
{
char*end;
errno= 0;
long v= strtol(s,&end,10);
if(errno||end==s||*end||v<lo||v> hi){
fprintf(stderr,"attention %s: %s wants a whole number from %ld to %ld, not \"%s\"\n",
cmd,opt,lo,hi,s);
return-1;
}
*out= v;
return 0;
}

/*:521*//*522:*/
#line 10078 "attention.w"

static int parse_float(const char*cmd,const char*opt,const char*s,double lo,
double hi,double*out)
{
char*end;
errno= 0;
double v= strtod(s,&end);
if(errno||end==s||*end||!(v> lo&&v<=hi)){
fprintf(stderr,"attention %s: %s wants a number above %g and at most %g, not \"%s\"\n",
cmd,opt,lo,hi,s);
return-1;
}
*out= v;
return 0;
}

/*:522*//*523:*/
#line 10096 "attention.w"

static double now_seconds(void)
{
struct timespec ts;
clock_gettime(CLOCK_MONOTONIC,&ts);
return(double)ts.tv_sec+1e-9*(double)ts.tv_nsec;
}

/*:523*//*524:*/
#line 10112 "attention.w"

#define OPT_DEVICE 256
static int device_bad(const char*cmd,const char*device)
{
if(strcmp(device,"cpu")==0||strcmp(device,"cuda")==0)return 0;
fprintf(stderr,"attention %s: --device is 'cpu' or 'cuda', not \"%s\"\n",cmd,device);
return 1;
}

static const Backend*backend_for(const char*cmd,const char*device)
{
char msg[512];
if(!device||strcmp(device,"cpu")==0)return&cpu_backend;
const Backend*be= cuda_backend_open(msg,sizeof msg);
if(be)fprintf(stderr,"attention %s: running on the GPU: %s\n",cmd,msg);
else fprintf(stderr,"attention %s: --device cuda: %s\n",cmd,msg);
return be;
}

/*:524*//*544:*/
#line 10497 "attention.w"

static char*words_join(const Vocab*v,const int*ids,int n)
{
size_t len= 1;
for(int k= 0;k<n;k++)len+= strlen(v->word[ids[k]])+1;
char*s= xcalloc(len,1),*p= s;
for(int k= 0;k<n;k++)p+= sprintf(p,k?" %s":"%s",v->word[ids[k]]);
return s;
}

/*:544*//*555:*/
#line 10692 "attention.w"

static double hold_fraction(const char*s,uint64_t seed)
{
uint64_t h= 1469598103934665603ULL^(seed*0x9e3779b97f4a7c15ULL);
for(;*s;s++)h= (h^(unsigned char)*s)*1099511628211ULL;
h^= h>>29;
h*= 0xbf58476d1ce4e5b9ULL;
h^= h>>32;
return(double)(h>>11)/9007199254740992.0;
}

static void pairs_hold_out(PairList*pl,PairList*vl,double share,uint64_t seed)
{
*vl= (PairList){0};
vl->origin= xstrdup(pl->origin);
int kept= 0;
for(int k= 0;k<pl->n;k++){
Pair p= pl->pair[k];
if(hold_fraction(p.src,seed)<share)/*556:*/
#line 10717 "attention.w"

{
if(vl->n==vl->cap){
vl->cap= vl->cap?2*vl->cap:64;
vl->pair= xrealloc(vl->pair,(size_t)vl->cap*sizeof*vl->pair);
}
vl->pair[vl->n++]= p;
}

/*:556*/
#line 10710 "attention.w"

else pl->pair[kept++]= p;
}
pl->n= kept;
}

/*:555*//*559:*/
#line 10770 "attention.w"

static uint64_t mix_seed(uint64_t a,uint64_t b)
{
uint64_t z= a*0x9e3779b97f4a7c15ULL+b;
z= (z^(z>>30))*0xbf58476d1ce4e5b9ULL;
z= (z^(z>>27))*0x94d049bb133111ebULL;
return z^(z>>31);
}

/*:559*//*560:*/
#line 10789 "attention.w"

static const Example*bucket_ex;
static int by_length(const void*x,const void*y)
{
const Example*a= &bucket_ex[*(const int*)x],*b= &bucket_ex[*(const int*)y];
int d= a->src_len-b->src_len;
if(!d)d= a->tgt_len-b->tgt_len;
return d?d:*(const int*)x-*(const int*)y;
}

/*:560*//*561:*/
#line 10800 "attention.w"

static void bucket_batches(int*order,int n,const Example*ex,int B,uint64_t seed)
{
bucket_ex= ex;
for(int k= 0;k<n;k+= 64*B)qsort(order+k,(size_t)(n-k<64*B?n-k:64*B),
sizeof(int),by_length);
if(!seed)return;
int nb= (n+B-1)/B,*perm= xcalloc((size_t)nb,sizeof(int)),*copy= xcalloc((size_t)n,sizeof(int));
unsigned short xs[3]= {(unsigned short)seed,(unsigned short)(seed>>16),(unsigned short)(seed>>32)};
for(int k= 0;k<nb;k++)perm[k]= k;
for(int k= nb-1;k> 0;k--){
int j= (int)(erand48(xs)*(k+1)),x= perm[k];
if(j> k)j= k;
perm[k]= perm[j],perm[j]= x;
}
/*562:*/
#line 10820 "attention.w"

int at= 0;
for(int k= 0;k<nb;k++){
int from= perm[k]*B,len= n-from<B?n-from:B;
memcpy(copy+at,order+from,(size_t)len*sizeof(int));
at+= len;
}
memcpy(order,copy,(size_t)n*sizeof(int));

/*:562*/
#line 10815 "attention.w"

free(perm),free(copy);
}

/*:561*//*565:*/
#line 10877 "attention.w"

static double batched_loss(BModel*bm,const Example*ex,int n)
{
long tokens= 0;
bmodel_take_loss(bm);
for(int k= 0;k<n;k+= bm->B_cap){
Batch bt;
batch_upload(bm,ex+k,NULL,n-k<bm->B_cap?n-k:bm->B_cap,&bt);
bmodel_forward(bm,&bt,0.0f);
tokens+= bt.tokens;
}
return bmodel_take_loss(bm)/(double)(tokens?tokens:1);
}

/*:565*//*569:*/
#line 10958 "attention.w"

static int blank(const char*s,size_t len)
{
for(size_t k= 0;k<len;k++)if(s[k]!=' '&&s[k]!='\t')return 0;
return 1;
}

/*:569*//*577:*/
#line 11111 "attention.w"

/*591:*/
#line 11384 "attention.w"

#define BEAM_OPTIONS \
  {"beam", required_argument, 0, 'k'}, {"length-penalty", required_argument, 0, 'P'}, \
  {"alpha", required_argument, 0, 'A'}, {"max-length", required_argument, 0, 'M'}, \
  {"n-best", required_argument, 0, 'N'}, {"replace-unk", no_argument, 0, 'U'}
#define BEAM_USAGE \
  "  --beam K            beam search with K hypotheses (1 gives greedy's words)\n" \
  "  --length-penalty P  none, avg (divide by the length) or wu (the default)\n" \
  "  --alpha A           Wu's alpha (default 0.6)\n" \
  "  --max-length N      the longest translation (default and most: the model's)\n" \
  "  --n-best N          translate: N lines a sentence, SCORE<TAB>WORDS, best first\n" \
  "  --replace-unk       replace each <UNK> by the source word attended to most\n"
typedef struct{
BeamOptions o;
int used,replace_unk;
}BeamChoice;

/*:591*//*592:*/
#line 11404 "attention.w"

static int beam_option(const char*cmd,int c,const char*arg,BeamChoice*b)
{
long v;
double x;
if(c<=0||c> 127||!strchr("kPAMNU",c))return 0;
b->used= 1;
switch(c){
case'k':if(parse_long(cmd,"--beam",arg,1,1000,&v))return-1;b->o.beam= (int)v;break;
case'M':if(parse_long(cmd,"--max-length",arg,1,1000,&v))return-1;
b->o.max_length= (int)v;break;
case'N':if(parse_long(cmd,"--n-best",arg,1,1000,&v))return-1;b->o.n_best= (int)v;
break;
case'A':if(parse_float(cmd,"--alpha",arg,-1e-300,10.0,&x))return-1;b->o.alpha= x;
break;
case'U':b->replace_unk= 1;break;
case'P':/*593:*/
#line 11426 "attention.w"

if(strcmp(arg,"none")==0)b->o.penalty= LP_NONE;
else if(strcmp(arg,"avg")==0)b->o.penalty= LP_AVG;
else if(strcmp(arg,"wu")==0)b->o.penalty= LP_WU;
else{
fprintf(stderr,"attention %s: --length-penalty is none, avg or wu, not \"%s\"\n",cmd,arg);
return-1;
}

/*:593*/
#line 11420 "attention.w"
break;
}
return 1;
}

/*:592*//*594:*/
#line 11436 "attention.w"

static void beam_defaults(BeamChoice*b)
{
*b= (BeamChoice){{1,0,1,LP_WU,0.6},0,0};
}

static int beam_check(const char*cmd,BeamChoice*b,int L,const Vocab*vout)
{
if(b->o.max_length==0)b->o.max_length= L;
if(b->o.max_length> L){
fprintf(stderr,"attention %s: --max-length %d is more than the model's %d\n",cmd,
b->o.max_length,L);
return-1;
}
if(b->o.n_best> b->o.beam){
fprintf(stderr,"attention %s: --n-best %d is more than the beam's %d\n",cmd,
b->o.n_best,b->o.beam);
return-1;
}
if(b->replace_unk&&vocab_find(vout,"<UNK>")<0)
fprintf(stderr,"attention %s: warning: the model's vocabulary has no <UNK>; "
"--replace-unk changes nothing\n",cmd);
return 0;
}

/*:594*//*595:*/
#line 11464 "attention.w"

static int beam_best(Decoder*d,const int*src,int n,const BeamOptions*o,int*out,
float*attn)
{
float*init= xcalloc((size_t)d->state_floats,sizeof(float));
Hypothesis*y= xcalloc((size_t)o->n_best,sizeof*y);
int found= 0;
d->encode(d,&src,&n,1,init);
beam_search(d,1,init,o,y,&found);
int k= y[0].len;
memcpy(out,y[0].word,(size_t)k*sizeof(int));
memcpy(attn,y[0].attn,(size_t)k*(size_t)d->S*sizeof(float));
hypotheses_free(y,found);
free(y),free(init);
d->release(d);
return k;
}

/*:595*//*596:*/
#line 11486 "attention.w"

static BeamChoice translate_beam;

static char*translate_with_beam(Model*m,const int*src,int n,const char*norm,
int*out,int*k,float*attn)
{
Decoder*d= model_decoder(m);
float*init= xcalloc((size_t)d->state_floats,sizeof(float));
d->encode(d,&src,&n,1,init);
BeamOptions*o= &translate_beam.o;
Hypothesis*y= xcalloc((size_t)o->n_best,sizeof*y);
int found= 0;
beam_search(d,1,init,o,y,&found);
/*597:*/
#line 11509 "attention.w"

char*copy= xstrdup(norm),*words[DEFAULT_MAX_LENGTH*4];
int nw= 0;
for(char*p= strtok(copy," ");p&&nw<DEFAULT_MAX_LENGTH*4;p= strtok(NULL," "))
words[nw++]= p;
*k= y[0].len;
memcpy(out,y[0].word,(size_t)y[0].len*sizeof(int));
memcpy(attn,y[0].attn,(size_t)y[0].len*(size_t)m->cfg.L*sizeof(float));
size_t cap= 1,used= 0;
char**lines= xcalloc((size_t)found,sizeof*lines);
for(int i= 0;i<found;i++){
lines[i]= hypothesis_words(d,&m->vout,&y[i],words,nw,translate_beam.replace_unk);
cap+= strlen(lines[i])+32;
}
char*text= xcalloc(cap,1);
for(int i= 0;i<found;i++){
if(o->n_best> 1)
used+= (size_t)snprintf(text+used,cap-used,"%s%.6f\t",i?"\n":"",y[i].score);
used+= (size_t)snprintf(text+used,cap-used,"%s",lines[i]);
free(lines[i]);
}
free(lines);
free(copy);

/*:597*/
#line 11499 "attention.w"

hypotheses_free(y,found);
free(y);
free(init);
d->release(d);
return text;
}

/*:596*/
#line 11112 "attention.w"


/*:577*//*578:*/
#line 11116 "attention.w"

static void warn_unknown(const char*cmd,const Vocab*v,Vocab*seen,const char*s,
const char*where)
{
char w[MAX_WORD_BYTES];
while(*s){
size_t k= strcspn(s," ");
memcpy(w,s,k);
w[k]= '\0';
s+= k+(s[k]==' ');
if(k&&vocab_find(v,w)<0&&vocab_find(seen,w)<0){
vocab_add(seen,w);
if(cmd)fprintf(stderr,"attention %s: %s: warning: \"%s\" is not in the model's "
"English vocabulary; it is read as <UNK>\n",cmd,where,w);
}
}
}

/*:578*//*579:*/
#line 11139 "attention.w"

static int translate_batched(BModel*bm,int nargs,char**args,int show_attention)
{
int n= 0,cap= 16,failed= 0,L= bm->cfg.L;
char**norm= xcalloc((size_t)cap,sizeof(char*)),*bad= xcalloc((size_t)cap,1);
Example*ex= xcalloc((size_t)cap,sizeof(Example));
Vocab unknown;
vocab_init(&unknown);
/*580:*/
#line 11163 "attention.w"

char*line= NULL;
size_t lcap= 0;
for(long k= 0;;k++){
ssize_t got;
const char*s;
if(nargs> 0){
if(k==nargs)break;
s= args[k],got= (ssize_t)strlen(args[k]);
}else{
if((got= getline(&line,&lcap,stdin))<0)break;
while(got> 0&&(line[got-1]=='\n'||line[got-1]=='\r'))got--;
s= line;
}
if(n==cap){
cap*= 2;
norm= xrealloc(norm,(size_t)cap*sizeof(char*));
bad= xrealloc(bad,(size_t)cap);
ex= xrealloc(ex,(size_t)cap*sizeof(Example));
}
/*581:*/
#line 11190 "attention.w"

size_t badbyte;
char where[64];
snprintf(where,sizeof where,nargs> 0?"sentence %ld":"line %ld",k+1);
memset(&ex[n],0,sizeof ex[n]);
norm[n]= normalize_sentence(s,(size_t)got,&badbyte);
int before= 0,m= -1;
if(!norm[n])fprintf(stderr,"attention translate: %s: invalid UTF-8 at byte %zu\n",where,
badbyte+1),failed= 1;
else if(*norm[n]&&(m= tokenize_unk(&bm->vin,norm[n],ex[n].src,L-1,&before))<0)
fprintf(stderr,"attention translate: %s: the sentence has more than %d words, the most "
"this model reads\n",where,L-1),failed= 1;
else if((*norm[n]&&m==0)||(!*norm[n]&&!blank(s,(size_t)got)))
fprintf(stderr,"attention translate: %s: the sentence has no words\n",where),failed= 1;
if(m> 0){
if(before)warn_unknown("translate",&bm->vin,&unknown,norm[n],where);
ex[n].src[m]= EOS_TOKEN;
ex[n].src_len= m+1;
bad[n]= 0;
}else ex[n].src[0]= EOS_TOKEN,ex[n].src_len= 1,bad[n]= 1;

/*:581*/
#line 11183 "attention.w"

n++;
}
free(line);
if(nargs==0)/*586:*/
#line 11286 "attention.w"

if(ferror(stdin)){
fprintf(stderr,"attention translate: cannot read the standard input: %s\n",
strerror(errno));
failed= 1;
}

/*:586*/
#line 11187 "attention.w"


/*:580*/
#line 11147 "attention.w"

int*out= xcalloc((size_t)(n?n:1)*L,sizeof(int)),*len= xcalloc((size_t)(n?n:1),sizeof(int));
float*attn= show_attention?xcalloc((size_t)(n?n:1)*L*L,sizeof(float)):NULL;
char**text= NULL;
if(translate_beam.used)/*582:*/
#line 11215 "attention.w"

{
BeamOptions*o= &translate_beam.o;
Decoder*d= bmodel_decoder(bm);
const int**sp= xcalloc((size_t)(n?n:1),sizeof*sp);
int*sl= xcalloc((size_t)(n?n:1),sizeof(int)),*found= xcalloc((size_t)(n?n:1),
sizeof(int));
for(int k= 0;k<n;k++)sp[k]= ex[k].src,sl[k]= ex[k].src_len;
float*init= xcalloc((size_t)(n?n:1)*d->state_floats,sizeof(float));
Hypothesis*y= xcalloc((size_t)(n?n:1)*o->n_best,sizeof*y);
d->encode(d,sp,sl,n,init);
beam_search(d,n,init,o,y,found);
text= xcalloc((size_t)(n?n:1),sizeof*text);
for(int k= 0;k<n;k++)/*583:*/
#line 11234 "attention.w"

{
Hypothesis*h= y+(size_t)k*o->n_best;
len[k]= h[0].len;
memcpy(out+(size_t)k*L,h[0].word,(size_t)h[0].len*sizeof(int));
if(attn)memcpy(attn+(size_t)k*L*L,h[0].attn,(size_t)h[0].len*L*sizeof(float));
char*copy= xstrdup(norm[k]?norm[k]:""),*words[DEFAULT_MAX_LENGTH*4];
int nw= 0;
for(char*p= strtok(copy," ");p&&nw<DEFAULT_MAX_LENGTH*4;p= strtok(NULL," "))
words[nw++]= p;
size_t cap= 1,used= 0;
char**lines= xcalloc((size_t)found[k]+1,sizeof*lines);
for(int i= 0;i<found[k];i++){
lines[i]= hypothesis_words(d,&bm->vout,&h[i],words,nw,translate_beam.replace_unk);
cap+= strlen(lines[i])+32;
}
/*584:*/
#line 11258 "attention.w"

text[k]= xcalloc(cap,1);
for(int i= 0;i<found[k];i++){
if(o->n_best> 1)
used+= (size_t)snprintf(text[k]+used,cap-used,"%s%.6f\t",i?"\n":"",h[i].score);
used+= (size_t)snprintf(text[k]+used,cap-used,"%s",lines[i]);
free(lines[i]);
}

/*:584*/
#line 11250 "attention.w"

free(lines),free(copy);
hypotheses_free(h,found[k]);
}

/*:583*/
#line 11228 "attention.w"

free(y),free(init),free(found),free(sl),free(sp);
d->release(d);
}

/*:582*/
#line 11151 "attention.w"

else bmodel_greedy(bm,ex,n,out,len,attn);
/*585:*/
#line 11268 "attention.w"

for(int k= 0;k<n;k++){
if(!bad[k]){
char*t= text?xstrdup(text[k]):words_join(&bm->vout,out+(size_t)k*L,len[k]);
fputs(t,stdout);
free(t);
if(attn)for(int t2= 0;t2<len[k];t2++){
printf("\n  %-12s",bm->vout.word[out[(size_t)k*L+t2]]);
for(int i= 0;i<ex[k].src_len;i++)
printf(" %s %.3f",bm->vin.word[ex[k].src[i]],attn[((size_t)k*L+t2)*L+i]);
}
}
putchar('\n');
}

/*:585*/
#line 11153 "attention.w"

for(int k= 0;k<n;k++)free(norm[k]),free(text?text[k]:NULL);
free(text);
free(norm),free(bad),free(ex),free(out),free(len),free(attn);
vocab_free(&unknown);
return failed?1:0;
}

/*:579*/
#line 9981 "attention.w"

/*493:*/
#line 9515 "attention.w"

/*495:*/
#line 9535 "attention.w"

static const char*heatmap_usage= 
"usage: attention heatmap --model CKPT --out FILE [--out FILE ...] [OPTIONS] SENTENCE\n"
"  Translates SENTENCE and draws the attention weights of every output word.\n"
"  --model CKPT          the model (a safetensors checkpoint from train --save)\n"
"  --out FILE            the figure; .png, .pdf or .svg (may be repeated)\n"
"  --style bone|ylorrd   the notebook's imshow style with the 'bone' colormap\n"
"                        (the default), or its seaborn style with 'YlOrRd'\n"
"  --scale data|unit     colours from the weights' own range (the default, as\n"
"                        the notebook) or from 0 to 1\n"
"  --device cpu|cuda     where a Part II model runs (default: the processor)\n"
"  --beam K              draw the best translation of a beam of K (default: greedy)\n"
"  --length-penalty P, --alpha A, --max-length N   as for translate\n";

/*:495*//*498:*/
#line 9588 "attention.w"

static int cmd_heatmap(int argc,char**argv)
{
static const struct option longopts[]= {{"model",required_argument,0,'m'},
{"out",required_argument,0,'o'},{"style",required_argument,0,'s'},
{"scale",required_argument,0,'S'},{"help",no_argument,0,'h'},BEAM_OPTIONS,
{"device",required_argument,0,OPT_DEVICE},{0,0,0,0}};
const char*model= NULL,*outs[MAX_OUTS],*device= NULL;
int nout= 0,c,bad= 0,style= HEATMAP_MATPLOTLIB,unit= 0,r;
BeamChoice beam;
beam_defaults(&beam);
/*499:*/
#line 9608 "attention.w"

opterr= 0;
optind= 1;
while(!bad&&(c= getopt_long(argc,argv,":h",longopts,NULL))!=-1)
if(c=='N'||c=='U'){
fprintf(stderr,"attention heatmap: %s is an option of translate and eval only\n",
c=='N'?"--n-best":"--replace-unk");
bad= 1;
}else if((r= beam_option("heatmap",c,optarg,&beam))!=0)bad= r<0;
else switch(c){
/*500:*/
#line 9633 "attention.w"

case'm':model= optarg;break;
case'o':bad= add_out("heatmap",optarg,outs,&nout)!=0;break;
case's':
if(strcmp(optarg,"bone")==0)style= HEATMAP_MATPLOTLIB;
else if(strcmp(optarg,"ylorrd")==0||strcmp(optarg,"YlOrRd")==0)style= HEATMAP_SEABORN;
else fprintf(stderr,"attention heatmap: --style is 'bone' or 'ylorrd', not \"%s\"\n",optarg),
bad= 1;
break;
case'S':
if(strcmp(optarg,"data")==0||strcmp(optarg,"unit")==0)unit= optarg[0]=='u';
else fprintf(stderr,"attention heatmap: --scale is 'data' or 'unit', not \"%s\"\n",optarg),
bad= 1;
break;
case OPT_DEVICE:bad= device_bad("heatmap",device= optarg);break;
case'h':fputs(heatmap_usage,stdout);exit(check_stdout("heatmap",0));
case':':fprintf(stderr,"attention heatmap: %s needs a value\n",argv[optind-1]);
bad= 1;
break;
default:fprintf(stderr,"attention heatmap: unknown option \"%s\"\n",argv[optind-1]);
bad= 1;

/*:500*/
#line 9618 "attention.w"

}
if(!bad&&(!model||nout==0||argc-optind!=1)){
fprintf(stderr,"attention heatmap: %s\n",!model?"--model CKPT is required":
nout==0?"--out FILE is required":"give exactly one SENTENCE");
bad= 1;
}
if(bad){
fputs(heatmap_usage,stderr);
return 2;
}

/*:499*/
#line 9599 "attention.w"

if(check_outs("heatmap",outs,nout))return 1;
/*501:*/
#line 9661 "attention.w"

Model m;
BModel bm;
/*502:*/
#line 9685 "attention.w"

const Backend*be= backend_for("heatmap",device);
if(!be)return 1;
int kind= checkpoint_load_any(model,&m,&bm,be,beam.used?64:1);
if(kind<0){
fprintf(stderr,"attention heatmap: %s\n",kit_error());
return 1;
}
if(kind==KIND_SEED&&be!=&cpu_backend){
fprintf(stderr,"attention heatmap: %s holds the notebook's seed model, which runs "
"on the CPU only; drop --device cuda\n",model);
model_free(&m);
return 2;
}
if(beam_check("heatmap",&beam,kind?bm.cfg.L:m.cfg.L,kind?&bm.vout:&m.vout)){
if(kind==KIND_SEED)model_free(&m);
else bmodel_free(&bm);
return 2;
}

/*:502*/
#line 9664 "attention.w"

const Vocab*vi= kind?&bm.vin:&m.vin,*vo= kind?&bm.vout:&m.vout;
int L= kind?bm.cfg.L:m.cfg.L,*src= xcalloc((size_t)L,sizeof(int));
int*out= xcalloc((size_t)L,sizeof(int));
float*attn= xcalloc((size_t)L*L,sizeof(float));
int status= 1,T= -1,n= 0;
size_t badbyte;
char*norm= normalize_sentence(argv[optind],strlen(argv[optind]),&badbyte);
/*503:*/
#line 9709 "attention.w"

if(!norm)kit_fail("the sentence: invalid UTF-8 at byte %zu",badbyte+1);
else if(kind==KIND_SEED)T= tokenize(vi,norm,src,L,"the sentence","English");
else/*504:*/
#line 9722 "attention.w"

{
Example e;
int unknown= 0;
memset(&e,0,sizeof e);
T= tokenize_unk(vi,norm,e.src,L-1,&unknown);
if(unknown){
Vocab seen;
vocab_init(&seen);
warn_unknown("heatmap",vi,&seen,norm,"the sentence");
vocab_free(&seen);
}
if(T<0)kit_fail("the sentence has more than %d words, the most this model reads",L-1);
else if(T> 0){
e.src[T++]= EOS_TOKEN;
e.src_len= T;
memcpy(src,e.src,(size_t)T*sizeof(int));
if(!beam.used)bmodel_greedy(&bm,&e,1,out,&n,attn);
}
}

/*:504*/
#line 9712 "attention.w"

if(T==0)kit_fail("the sentence has no words");
else if(T> 0&&beam.used)n= beam_best(kind?bmodel_decoder(&bm):model_decoder(&m),
src,T,&beam.o,out,attn);
else if(T> 0&&kind==KIND_SEED)n= greedy_decode(&m,src,T,out,attn);
if(T> 0&&n==0)
kit_fail("the model translates \"%s\" into nothing: there is no attention to draw",norm);

/*:503*/
#line 9672 "attention.w"

if(n> 0){
/*505:*/
#line 9744 "attention.w"

const char**rw= xcalloc((size_t)n,sizeof(char*)),**cw= xcalloc((size_t)T,sizeof(char*));
for(int i= 0;i<n;i++)rw[i]= vo->word[out[i]];
for(int j= 0;j<T;j++)cw[j]= vi->word[src[j]];
char*fr= words_join(vo,out,n),*title= xcalloc(strlen(norm)+strlen(fr)+64,1);
sprintf(title,"Attention Mechanism: \"%s\" \xe2\x86\x92 \"%s\"",norm,fr);
Heatmap h= {n,T,attn,L,rw,cw,title,style==HEATMAP_SEABORN?&colormap_ylorrd:
&colormap_bone,style,0.0,unit?1.0:0.0};
char what[64];
snprintf(what,sizeof what,"%d x %d attention weights",n,T);
status= 0;
for(int k= 0;k<nout&&status==0;k++){
double t0= now_seconds();
if(heatmap_save(&h,outs[k])){
fprintf(stderr,"attention heatmap: %s\n",kit_error());
status= 1;
}else report_figure(outs[k],what,now_seconds()-t0);
}
free(rw),free(cw),free(fr),free(title);

/*:505*/
#line 9674 "attention.w"

}else fprintf(stderr,"attention heatmap: %s\n",kit_error());
free(norm),free(src),free(out),free(attn);
if(kind==KIND_SEED)model_free(&m);
else bmodel_free(&bm);
return status;

/*:501*/
#line 9601 "attention.w"

}

/*:498*/
#line 9516 "attention.w"

/*509:*/
#line 9848 "attention.w"

static const char*loss_curve_usage= 
"usage: attention loss-curve --log FILE --out FILE [--out FILE ...] [--title TEXT]\n"
"  Draws the average loss per epoch written by 'attention train --loss-log FILE'.\n"
"  --log FILE     lines of 'epoch<TAB>average loss'\n"
"  --out FILE     the figure; .png, .pdf or .svg (may be repeated)\n"
"  --title TEXT   the title (default: 'Training: average loss per epoch')\n";

/*:509*//*510:*/
#line 9858 "attention.w"

static int read_loss_log(const char*path,double**x,double**y,int*n)
{
FILE*f= fopen(path,"r");
if(!f)return kit_fail("%s: %s",path,strerror(errno));
char line[256];
int cap= 0;
*n= 0,*x= NULL,*y= NULL;
for(long k= 1;fgets(line,sizeof line,f);k++){
double e,v;
char tail;
if(sscanf(line,"%lf\t%lf %c",&e,&v,&tail)!=2||!isfinite(e)||!isfinite(v)){
fclose(f);
free(*x),free(*y);
return kit_fail("%s: line %ld: expected an epoch, a tab and a finite loss",path,k);
}
/*511:*/
#line 9882 "attention.w"

if(*n==cap){
cap= cap?2*cap:1024;
*x= xrealloc(*x,(size_t)cap*sizeof(double));
*y= xrealloc(*y,(size_t)cap*sizeof(double));
}
(*x)[*n]= e,(*y)[(*n)++]= v;

/*:511*/
#line 9874 "attention.w"

}
fclose(f);
return*n> 0?0:kit_fail("%s: no epochs in the file",path);
}

/*:510*//*512:*/
#line 9891 "attention.w"

static int cmd_loss_curve(int argc,char**argv)
{
static const struct option longopts[]= {{"log",required_argument,0,'l'},
{"out",required_argument,0,'o'},{"title",required_argument,0,'t'},
{"help",no_argument,0,'h'},{0,0,0,0}};
const char*logfile= NULL,*outs[MAX_OUTS],*title= "Training: average loss per epoch";
int nout= 0,c,bad= 0;
/*513:*/
#line 9906 "attention.w"

opterr= 0;
optind= 1;
while(!bad&&(c= getopt_long(argc,argv,":h",longopts,NULL))!=-1){
if(c=='l')logfile= optarg;
else if(c=='o')bad= add_out("loss-curve",optarg,outs,&nout)!=0;
else if(c=='t')title= optarg;
else if(c=='h'){
fputs(loss_curve_usage,stdout);
return 0;
}else{
fprintf(stderr,"attention loss-curve: %s \"%s\"\n",c==':'?"missing value for":
"unknown option",argv[optind-1]);
bad= 1;
}
}
if(!bad&&(!logfile||nout==0||optind<argc)){
fprintf(stderr,"attention loss-curve: %s\n",!logfile?"--log FILE is required":
nout==0?"--out FILE is required":"unexpected argument");
bad= 1;
}
if(bad){
fputs(loss_curve_usage,stderr);
return 2;
}

/*:513*/
#line 9899 "attention.w"

/*514:*/
#line 9934 "attention.w"

double*x= NULL,*y= NULL;
int n= 0;
if(check_outs("loss-curve",outs,nout))return 1;
if(read_loss_log(logfile,&x,&y,&n)){
fprintf(stderr,"attention loss-curve: %s\n",kit_error());
return 1;
}
Curve cv= {n,x,y,title,"Epoch","Average loss"};
int status= 0;
char what[64];
snprintf(what,sizeof what,"%d epochs",n);
for(int k= 0;k<nout&&status==0;k++){
double t0= now_seconds();
if(curve_save(&cv,outs[k])){
fprintf(stderr,"attention loss-curve: %s\n",kit_error());
status= 1;
}else report_figure(outs[k],what,now_seconds()-t0);
}
free(x),free(y);
return status;

/*:514*/
#line 9900 "attention.w"

}

/*:512*/
#line 9517 "attention.w"


/*:493*//*520:*/
#line 10054 "attention.w"

/*525:*/
#line 10134 "attention.w"

static const char*train_usage= 
/*526:*/
#line 10157 "attention.w"

"usage: attention train [--pairs seed | --data FILE] [OPTIONS]\n"
"  --pairs seed        the notebook's five English-French pairs (the default)\n"
"  --data FILE         pairs from FILE: English<TAB>French[<TAB>anything], UTF-8\n"
"  --filter KIND       for --data: 'tutorial' (length and English prefixes,\n"
"                      the default) or 'length' (only fewer than max-length words)\n"
"  --epochs N          passes over the pairs (default 400)\n"
"  --hidden H          hidden size (default 128)\n"
"  --max-length L      attention slots and longest sentence (default 10)\n"
"  --lr X              Adam's learning rate (default 0.01)\n"
"  --seed S            seed of the random initial weights (default 1)\n"
"  --init CKPT         start from a checkpoint's weights and vocabularies\n"
"  --save CKPT         save the trained model (safetensors)\n"
"  --no-eos            do not end targets with <EOS> (the notebook's bug)\n"
"  --print-every K     print the loss every K epochs (default 50)\n"
"  --show N            print N translations after training (default 5)\n"
"  --loss-log FILE     write 'epoch<TAB>average loss' lines to FILE\n"
"  --threads N         1, or 2 to run the encoder on a second core (default:\n"
"                      2 when the machine has two cores); same result either way\n"

/*:526*/
#line 10136 "attention.w"

/*527:*/
#line 10191 "attention.w"

"Part II (content-based attention, minibatches):\n"
"  --attention KIND    seed (the notebook's; the default for --pairs seed),\n"
"                      bahdanau (the default for --data), luong-dot,\n"
"                      luong-general or multihead\n"
"  --heads N           heads of multihead attention, dividing --hidden (default 4)\n"
"  --batch B           sentence pairs per step (default 32)\n"
"  --dropout P         dropout on the embeddings in training (default 0.1)\n"
"  --min-count N       words seen fewer than N times become <UNK> (default 1)\n"
"  --no-shuffle        keep the file's order (default: shuffled each epoch by --seed)\n"
"  --bucket            batch sentences of similar lengths together (less padding)\n"
"  --valid FILE        validation pairs; --save keeps the best model by their loss\n"
"  --valid-split F     hold out a share F (0 < F < 1) of the pairs for validation\n"
"  --device cpu|cuda   the processor (the default) or the GPU\n"
"  (for these kinds --epochs defaults to 10, --lr to 0.001, --print-every to 1)\n"

/*:527*/
#line 10137 "attention.w"
;

/*:525*//*528:*/
#line 10212 "attention.w"

typedef struct{
const char*data,*init,*save;
int filter,append_eos;
long epochs,hidden,max_length,seed,print_every,show,threads;
double lr;
/*545:*/
#line 10509 "attention.w"

int kind;
long heads,batch;
double dropout;
long min_count;
int shuffle,bucket;
const char*valid;
double valid_split;
const char*device;

/*:545*/
#line 10218 "attention.w"

}TrainOptions;
static int train_batched(TrainOptions*o,int kind);

/*:528*//*529:*/
#line 10225 "attention.w"

static int train_options(int argc,char**argv,TrainOptions*o)
{
static const struct option longopts[]= {
/*530:*/
#line 10250 "attention.w"

{"pairs",required_argument,0,'p'},{"data",required_argument,0,'d'},
{"filter",required_argument,0,'f'},{"epochs",required_argument,0,'e'},
{"hidden",required_argument,0,'H'},{"max-length",required_argument,0,'L'},
{"lr",required_argument,0,'l'},{"seed",required_argument,0,'s'},
{"init",required_argument,0,'i'},{"save",required_argument,0,'o'},
{"no-eos",no_argument,0,'n'},{"print-every",required_argument,0,'P'},
{"show",required_argument,0,'S'},{"help",no_argument,0,'h'},
{"loss-log",required_argument,0,'g'},{"threads",required_argument,0,'T'},

/*:530*/
#line 10229 "attention.w"

/*546:*/
#line 10520 "attention.w"

{"attention",required_argument,0,'A'},{"heads",required_argument,0,'N'},
{"batch",required_argument,0,'B'},{"dropout",required_argument,0,'D'},
{"min-count",required_argument,0,'M'},{"no-shuffle",no_argument,0,'X'},
{"valid",required_argument,0,'V'},{"valid-split",required_argument,0,'v'},
{"bucket",no_argument,0,'K'},{"device",required_argument,0,OPT_DEVICE},

/*:546*/
#line 10230 "attention.w"

{0,0,0,0}};
*o= (TrainOptions){NULL,NULL,NULL,FILTER_TUTORIAL,1,-1,0,0,1,0,5,0,0.0,
-1,0,32,0.1,1,1,0,NULL,0.0};
int c,bad= 0;
opterr= 0;
optind= 1;
while(!bad&&(c= getopt_long(argc,argv,":h",longopts,NULL))!=-1)switch(c){
/*531:*/
#line 10262 "attention.w"

case'p':
if(strcmp(optarg,"seed")!=0){
fprintf(stderr,"attention train: --pairs knows only 'seed'; use --data FILE for a file\n");
bad= 1;
}
o->data= NULL;
break;
case'd':o->data= optarg;break;
case'f':
if(strcmp(optarg,"tutorial")==0)o->filter= FILTER_TUTORIAL;
else if(strcmp(optarg,"length")==0)o->filter= FILTER_LENGTH;
else{
fprintf(stderr,"attention train: --filter is 'tutorial' or 'length', not \"%s\"\n",optarg);
bad= 1;
}
break;

/*:531*//*532:*/
#line 10282 "attention.w"

case'e':bad= parse_long("train","--epochs",optarg,0,100000000,&o->epochs)!=0;break;
case'H':bad= parse_long("train","--hidden",optarg,1,65536,&o->hidden)!=0;break;
case'L':bad= parse_long("train","--max-length",optarg,1,DEFAULT_MAX_LENGTH*4,
&o->max_length)!=0;break;
case'l':bad= parse_float("train","--lr",optarg,0.0,10.0,&o->lr)!=0;break;
case's':bad= parse_long("train","--seed",optarg,0,0x7fffffffffffL,&o->seed)!=0;break;
case'i':o->init= optarg;break;
case'o':o->save= optarg;break;
case'n':o->append_eos= 0;break;
case'P':bad= parse_long("train","--print-every",optarg,1,100000000,&o->print_every)!=0;
break;
case'S':bad= parse_long("train","--show",optarg,0,100000000,&o->show)!=0;break;
case'T':bad= parse_long("train","--threads",optarg,1,2,&o->threads)!=0;break;
/*547:*/
#line 10528 "attention.w"

case'A':
if((o->kind= kind_from_name(optarg))<0){
fprintf(stderr,"attention train: --attention is seed, bahdanau, luong-dot, "
"luong-general or multihead, not \"%s\"\n",optarg);
bad= 1;
}
break;
case'N':bad= parse_long("train","--heads",optarg,1,65536,&o->heads)!=0;break;
case'B':bad= parse_long("train","--batch",optarg,1,100000,&o->batch)!=0;break;
case'D':
if(strcmp(optarg,"0")==0)o->dropout= 0.0;
else bad= parse_float("train","--dropout",optarg,0.0,0.95,&o->dropout)!=0;
break;
case'M':bad= parse_long("train","--min-count",optarg,1,1000000,&o->min_count)!=0;
break;

/*:547*//*548:*/
#line 10547 "attention.w"

case'X':o->shuffle= 0;break;
case'K':o->bucket= 1;break;
case OPT_DEVICE:bad= device_bad("train",o->device= optarg);break;
case'V':o->valid= optarg;break;
case'v':
if(parse_float("train","--valid-split",optarg,0.0,1.0,&o->valid_split)==0
&&o->valid_split>=1.0)
fprintf(stderr,"attention train: --valid-split wants a share above 0 and below 1, "
"not \"%s\"\n",optarg);
bad= !(o->valid_split> 0.0&&o->valid_split<1.0);
break;

/*:548*/
#line 10296 "attention.w"

case'g':loss_log_path= optarg;break;
case'h':fputs(train_usage,stdout);exit(check_stdout("train",0));
case':':
fprintf(stderr,"attention train: %s needs a value\n",argv[optind-1]);
bad= 1;
break;
default:
fprintf(stderr,"attention train: unknown option \"%s\"\n",argv[optind-1]);
bad= 1;

/*:532*/
#line 10238 "attention.w"

}
if(!bad&&optind<argc){
fprintf(stderr,"attention train: unexpected argument \"%s\"\n",argv[optind]);
bad= 1;
}
if(bad)fputs(train_usage,stderr);
return bad?-1:0;
}

/*:529*//*533:*/
#line 10310 "attention.w"

static int cmd_train(int argc,char**argv)
{
TrainOptions o;
PairList pl;
Model m;
Example*ex= NULL;
int status= 0;
/*536:*/
#line 10377 "attention.w"

if(train_options(argc,argv,&o))return 2;
if(loss_log_path&&loss_log_check())return 1;
if(o.save&&save_target_check(o.save)){
fprintf(stderr,"attention train: %s\n",kit_error());
return 1;
}
if(o.init&&(o.hidden||o.max_length)){
fprintf(stderr,"attention train: --init takes the sizes from the checkpoint; "
"drop --hidden and --max-length\n");
return 2;
}
int max_length= o.max_length?(int)o.max_length:DEFAULT_MAX_LENGTH;

/*:536*/
#line 10318 "attention.w"

/*534:*/
#line 10337 "attention.w"

int kind= o.kind;
if(o.init)/*535:*/
#line 10354 "attention.w"

{
Model pm;
BModel pb;
int k= checkpoint_load_any(o.init,&pm,&pb,&cpu_backend,1);
if(k<0){
fprintf(stderr,"attention train: %s\n",kit_error());
return 1;
}
if(k==KIND_SEED)model_free(&pm);
else bmodel_free(&pb);
if(kind>=0&&kind!=k){
fprintf(stderr,"attention train: --attention %s, but %s holds a %s model\n",
kind_names[kind],o.init,kind_names[k]);
return 2;
}
kind= k;
}

/*:535*/
#line 10339 "attention.w"

if(kind<0)kind= o.data?KIND_BAHDANAU:KIND_SEED;
if(kind!=KIND_SEED)return train_batched(&o,kind);
if(o.device&&strcmp(o.device,"cpu")!=0){
fprintf(stderr,"attention train: the notebook's seed model runs on the CPU only; "
"--device cuda is for the Part II kinds\n");
return 2;
}
if(o.epochs<0)o.epochs= 400;
if(o.print_every==0)o.print_every= 50;
if(o.lr==0.0)o.lr= 0.01;

/*:534*/
#line 10319 "attention.w"

/*537:*/
#line 10393 "attention.w"

if(o.data){
if(pairs_read(&pl,o.data,o.filter,max_length)){
fprintf(stderr,"attention train: %s\n",kit_error());
return 1;
}
}else pairs_seed(&pl);

/*:537*/
#line 10320 "attention.w"

/*540:*/
#line 10421 "attention.w"

if(o.init){
if(checkpoint_load(&m,o.init)){
fprintf(stderr,"attention train: %s\n",kit_error());
pairs_free(&pl);
return 1;
}
}else{
Vocab vin,vout;
pairs_vocabularies(&pl,&vin,&vout);
Config cfg= {vin.n,vout.n,o.hidden?(int)o.hidden:DEFAULT_HIDDEN,max_length};
model_alloc(&m,&cfg,&vin,&vout);
model_init_random(&m,(uint64_t)o.seed);
}

/*:540*/
#line 10321 "attention.w"

/*538:*/
#line 10403 "attention.w"

if(make_examples(&pl,&m.vin,&m.vout,m.cfg.L,o.append_eos,&ex)){
fprintf(stderr,"attention train: %s\n",kit_error());
pairs_free(&pl);
model_free(&m);
return 1;
}

/*:538*/
#line 10322 "attention.w"

/*541:*/
#line 10439 "attention.w"

if(o.data)printf("Read %ld sentence pairs from %s; kept %d (%s filter)\n",
pl.lines_read,o.data,pl.n,o.filter==FILTER_TUTORIAL?"tutorial":"length");
else printf("Data: the notebook's %d sentence pairs\n",pl.n);
printf("Vocabulary: English %d words, French %d words (with <SOS> and <EOS>)\n",
m.vin.n,m.vout.n);
printf("Model: hidden %d, max_length %d, attention seed, %zu parameters%s\n",
m.cfg.H,m.cfg.L,m.n_params,o.init?" (from --init)":"");
printf("Training for %ld epochs, %s<EOS> on the targets\n",o.epochs,
o.append_eos?"":"no ");

/*:541*/
#line 10323 "attention.w"

/*542:*/
#line 10455 "attention.w"

int threads= o.threads?(int)o.threads:sysconf(_SC_NPROCESSORS_ONLN)> 1?2:1,used= 1;
float*loss= xcalloc((size_t)pl.n*(size_t)o.print_every,sizeof(float));
double t0= now_seconds(),last_loss= 0.0;
for(long e= 1;e<=o.epochs;){
long chunk= o.print_every-(e-1)%o.print_every;
if(chunk> o.epochs-e+1)chunk= o.epochs-e+1;
used= train_pairs(&m,ex,pl.n,chunk,o.lr,threads,loss);
for(long j= 0;j<chunk;j++,e++){
double total= 0.0;
for(int k= 0;k<pl.n;k++)total+= loss[j*pl.n+k]/ex[k].tgt_len;
last_loss= total/pl.n;
loss_log_add(last_loss);
if(e%o.print_every==0||e==o.epochs)
printf("Epoch %ld/%ld, Average Loss: %.4f\n",e,o.epochs,last_loss);
}
}
double seconds= now_seconds()-t0;
if(o.epochs> 0)printf("Final average loss: %.6e\n",last_loss);
printf("Trained in %.3f s (%ld steps, %.0f steps/s, %d thread%s)\n",seconds,
o.epochs*pl.n,seconds> 0?(double)(o.epochs*pl.n)/seconds:0.0,used,
used> 1?"s":"");
free(loss);

/*:542*/
#line 10324 "attention.w"

/*539:*/
#line 10413 "attention.w"

if(o.save&&checkpoint_save(&m,o.save)){
fprintf(stderr,"attention train: %s\n",kit_error());
status= 1;
}

/*:539*/
#line 10325 "attention.w"

/*543:*/
#line 10481 "attention.w"

int right= 0,*out= xcalloc((size_t)m.cfg.L,sizeof(int));
for(int k= 0;k<pl.n;k++){
int n= greedy_decode(&m,ex[k].src,ex[k].src_len,out,NULL);
char*pred= words_join(&m.vout,out,n);
right+= strcmp(pred,pl.pair[k].tgt)==0;
if(k<o.show)
printf("EN: %-24s | FR (true): %-24s | FR (predicted): %s\n",pl.pair[k].src,
pl.pair[k].tgt,pred);
free(pred);
}
printf("%d of %d training pairs translated exactly\n",right,pl.n);
free(out);

/*:543*/
#line 10326 "attention.w"

if(loss_log_path&&loss_log_save())status= 1;
free(ex);
pairs_free(&pl);
model_free(&m);
return status;
}

/*:533*//*549:*/
#line 10569 "attention.w"

static int train_batched(TrainOptions*o,int kind)
{
PairList pl= {0},vl= {0};
BModel bm;
Example*ex= NULL,*vex= NULL;
int status= 1,L= o->max_length?(int)o->max_length:DEFAULT_MAX_LENGTH;
if(o->epochs<0)o->epochs= 10;
if(o->print_every==0)o->print_every= 1;
if(o->lr==0.0)o->lr= 0.001;
/*550:*/
#line 10596 "attention.w"

long H= o->hidden?o->hidden:DEFAULT_HIDDEN,heads= o->heads?o->heads:4;
cpu_set_threads(o->threads?(int)o->threads:sysconf(_SC_NPROCESSORS_ONLN)> 1?2:1);
if(kind==KIND_MULTIHEAD&&!o->init&&H%heads){
fprintf(stderr,"attention train: --heads %ld does not divide the hidden size %ld\n",
heads,H);
return 2;
}
if(o->valid&&o->valid_split> 0.0){
fprintf(stderr,"attention train: give --valid FILE or --valid-split F, not both\n");
return 2;
}
if(!o->data){
fprintf(stderr,"attention train: --attention %s trains on a corpus: give --data FILE\n",
kind_names[kind]);
return 2;
}
memset(&bm,0,sizeof bm);
const Backend*be= backend_for("train",o->device);
if(!be)return 1;

/*:550*/
#line 10579 "attention.w"

/*551:*/
#line 10622 "attention.w"

if(pairs_read(&pl,o->data,o->filter,L)){
fprintf(stderr,"attention train: %s\n",kit_error());
return 1;
}
if(o->valid&&pairs_read(&vl,o->valid,o->filter,L)){
fprintf(stderr,"attention train: %s\n",kit_error());
pairs_free(&pl);
return 1;
}
if(o->valid_split> 0.0)pairs_hold_out(&pl,&vl,o->valid_split,(uint64_t)o->seed);
if(pl.n==0){
fprintf(stderr,"attention train: %s: no training pairs left\n",o->data);
pairs_free(&pl);
if(vl.origin)pairs_free(&vl);
return 1;
}

/*:551*/
#line 10580 "attention.w"

/*552:*/
#line 10642 "attention.w"

if(o->init){
if(checkpoint_load_any(o->init,NULL,&bm,be,(int)o->batch)<0){
fprintf(stderr,"attention train: %s\n",kit_error());
goto end;
}
}else{
Vocab vin,vout;
pairs_vocabularies_unk(&pl,(int)o->min_count,&vin,&vout);
Config cfg= {vin.n,vout.n,(int)H,L};
bmodel_alloc(&bm,be,kind,(int)heads,&cfg,&vin,&vout,(int)o->batch);
bmodel_init_random(&bm,(uint64_t)o->seed);
}
if(o->init&&o->heads&&kind==KIND_MULTIHEAD&&o->heads!=bm.heads){
fprintf(stderr,"attention train: --heads %ld, but %s has %d heads\n",o->heads,o->init,
bm.heads);
status= 2;
goto end;
}
/*553:*/
#line 10667 "attention.w"

bm.dropout= (float)o->dropout;
bm.seed= (uint64_t)o->seed;
if(make_examples_unk(&pl,&bm.vin,&bm.vout,bm.cfg.L,&ex)
||(vl.n&&make_examples_unk(&vl,&bm.vin,&bm.vout,bm.cfg.L,&vex))){
fprintf(stderr,"attention train: %s\n",kit_error());
goto end;
}

/*:553*/
#line 10661 "attention.w"


/*:552*/
#line 10581 "attention.w"

/*554:*/
#line 10677 "attention.w"

printf("Read %ld sentence pairs from %s; kept %d (%s filter)",pl.lines_read,o->data,
pl.n+vl.n*(o->valid_split> 0.0),o->filter==FILTER_TUTORIAL?"tutorial":"length");
if(vl.n)printf("; %d for validation%s",vl.n,o->valid?" from --valid":"");
printf("\nVocabulary: English %d words, French %d words (with <SOS>, <EOS>, <PAD>, <UNK>)\n",
bm.vin.n,bm.vout.n);
printf("Model: hidden %d, max_length %d, attention %s",bm.cfg.H,bm.cfg.L,kind_names[kind]);
if(kind==KIND_MULTIHEAD)printf(" (%d heads)",bm.heads);
printf(", %zu parameters%s\n",bm.n_params,o->init?" (from --init)":"");
printf("Training for %ld epochs, batch %ld, lr %g, dropout %g, %s\n",o->epochs,o->batch,
o->lr,o->dropout,o->shuffle?"shuffled each epoch":"in file order");

/*:554*/
#line 10582 "attention.w"

/*557:*/
#line 10731 "attention.w"

if(o->epochs==0&&o->save&&bcheckpoint_save(&bm,o->save)){
fprintf(stderr,"attention train: %s\n",kit_error());
goto end;
}
int n= pl.n,*order= xcalloc((size_t)n,sizeof(int));
double best= INFINITY,t_all= now_seconds();
for(long e= 1;e<=o->epochs;e++){
for(int k= 0;k<n;k++)order[k]= k;
if(o->shuffle)/*558:*/
#line 10756 "attention.w"

{
uint64_t z= mix_seed((uint64_t)o->seed,(uint64_t)e);
unsigned short xs[3]= {(unsigned short)z,(unsigned short)(z>>16),
(unsigned short)(z>>32)};
for(int k= n-1;k> 0;k--){
int j= (int)(erand48(xs)*(k+1)),x= order[k];
if(j> k)j= k;
order[k]= order[j];
order[j]= x;
}
}

/*:558*/
#line 10740 "attention.w"

if(o->bucket)bucket_batches(order,n,ex,(int)o->batch,o->shuffle?
mix_seed((uint64_t)o->seed,(uint64_t)e+1000003):0);
double t0= now_seconds(),train_loss,valid_loss= NAN;
long tokens= 0,positions= 0,words= 0;
/*563:*/
#line 10833 "attention.w"

int tty= isatty(fileno(stdout));
double last= t0;
for(int k= 0;k<n;k+= (int)o->batch){
int b= n-k<o->batch?n-k:(int)o->batch;
Batch bt;
batch_upload(&bm,ex,order+k,b,&bt);
backend_train_batch(&bm,&bt,o->lr);
tokens+= bt.tokens;
positions+= (long)b*(bt.S+bt.T);
for(int j= 0;j<b;j++)words+= ex[order[k+j]].src_len+ex[order[k+j]].tgt_len;
double now= now_seconds();
if(tty&&now-last> 0.5){
double rate= (k+b)/(now-t0);
printf("\r  epoch %ld: %d/%d pairs, %.0f pairs/s, %.0f tokens/s, %.0f s left   ",e,
k+b,n,rate,tokens/(now-t0),(n-k-b)/rate);
fflush(stdout);
last= now;
}
}
if(tty)printf("\r%78s\r","");

/*:563*/
#line 10745 "attention.w"

train_loss= bmodel_take_loss(&bm)/(double)tokens;
if(vl.n)valid_loss= batched_loss(&bm,vex,vl.n);
loss_log_add(train_loss);
/*564:*/
#line 10856 "attention.w"

double sec= now_seconds()-t0;
int print= e%o->print_every==0||e==o->epochs;
if(print)printf("Epoch %ld/%ld, train loss %.4f",e,o->epochs,train_loss);
if(print&&vl.n)printf(", valid loss %.4f",valid_loss);
if(print)printf(", %.1f s (%.0f pairs/s, %.0f tokens/s, %.0f%% padding)",sec,n/sec,
tokens/sec,100.0*(double)(positions-words)/(double)positions);
int better= vl.n?valid_loss<best:e==o->epochs;
if(vl.n&&valid_loss<best)best= valid_loss;
if(o->save&&better){
if(bcheckpoint_save(&bm,o->save)){
fprintf(stderr,"%sattention train: %s\n",print?"\n":"",kit_error());
goto end;
}
if(print&&vl.n)printf(", saved");
}
if(print)printf("\n");
fflush(stdout);

/*:564*/
#line 10749 "attention.w"

}
printf("Trained in %.1f s\n",now_seconds()-t_all);
free(order);
status= 0;

/*:557*/
#line 10583 "attention.w"

/*566:*/
#line 10892 "attention.w"

int show= o->show<pl.n?(int)o->show:pl.n,L2= bm.cfg.L;
int*outw= xcalloc((size_t)(show?show:1)*L2,sizeof(int));
int*outn= xcalloc((size_t)(show?show:1),sizeof(int));
bmodel_greedy(&bm,ex,show,outw,outn,NULL);
for(int k= 0;k<show;k++){
char*pred= words_join(&bm.vout,outw+(size_t)k*L2,outn[k]);
printf("EN: %-24s | FR (true): %-24s | FR (predicted): %s\n",pl.pair[k].src,
pl.pair[k].tgt,pred);
free(pred);
}
free(outw);
free(outn);

/*:566*/
#line 10584 "attention.w"

if(loss_log_path&&loss_log_save())status= 1;
end:
free(ex);
free(vex);
pairs_free(&pl);
if(vl.pair||vl.origin)pairs_free(&vl);
bmodel_free(&bm);
return status;
}

/*:549*/
#line 10055 "attention.w"

/*567:*/
#line 10920 "attention.w"

static const char*translate_usage= 
"usage: attention translate --model CKPT [--attention] [SENTENCE ...]\n"
"  Translates each SENTENCE, or each line of standard input when there is none,\n"
"  and prints one translation per line in the same order.\n"
"  --model CKPT   the model (a safetensors checkpoint from train --save)\n"
"  --attention    after each translation, a line per output word with its\n"
"                 attention weights on the source words and on the padding\n"
"  --device cpu|cuda  where a Part II model runs: the processor (the default)\n"
"                 or the GPU\n"
BEAM_USAGE;

/*:567*//*568:*/
#line 10936 "attention.w"

static int translate_one(Model*m,const char*s,size_t len,const char*where,
int show_attention)
{
size_t bad;
char*norm= normalize_sentence(s,len,&bad);
int*src= xcalloc((size_t)m->cfg.L,sizeof(int)),*out= xcalloc((size_t)m->cfg.L,sizeof(int));
float*attn= xcalloc((size_t)m->cfg.L*(size_t)m->cfg.L,sizeof(float));
int status= 0;
if(!norm)status= kit_fail("%s: invalid UTF-8 at byte %zu",where,bad+1);
else if(*norm)/*570:*/
#line 10967 "attention.w"

{
int n= tokenize(&m->vin,norm,src,m->cfg.L,where,"English");
if(n<0)status= -1;
else if(n==0)status= kit_fail("%s: the sentence has no words",where);
else{
int k;
char*t= translate_beam.used?translate_with_beam(m,src,n,norm,out,&k,attn)
:(k= greedy_decode(m,src,n,out,attn),words_join(&m->vout,out,k));
fputs(t,stdout);
free(t);
if(show_attention)/*571:*/
#line 10984 "attention.w"

for(int t= 0;t<k;t++){
double pad= 0.0;
printf("\n  %-12s",m->vout.word[out[t]]);
for(int i= 0;i<n;i++)printf(" %s %.3f",m->vin.word[src[i]],attn[t*m->cfg.L+i]);
for(int i= n;i<m->cfg.L;i++)pad+= attn[t*m->cfg.L+i];
printf("  (padding %.3f)",pad);
}

/*:571*/
#line 10978 "attention.w"

}
}

/*:570*/
#line 10946 "attention.w"

else if(!blank(s,len))status= kit_fail("%s: the sentence has no words",where);
putchar('\n');
free(norm);
free(src);
free(out);
free(attn);
return status;
}

/*:568*//*572:*/
#line 10996 "attention.w"

static int cmd_translate(int argc,char**argv)
{
static const struct option longopts[]= {{"model",required_argument,0,'m'},
{"attention",no_argument,0,'a'},{"help",no_argument,0,'h'},
{"device",required_argument,0,OPT_DEVICE},BEAM_OPTIONS,{0,0,0,0}};
const char*model= NULL,*device= NULL;
int c,show_attention= 0,r;
/*573:*/
#line 11024 "attention.w"

opterr= 0;
optind= 1;
beam_defaults(&translate_beam);
while((c= getopt_long(argc,argv,":h",longopts,NULL))!=-1){
if(c=='m')model= optarg;
else if(c=='a')show_attention= 1;
else if(c==OPT_DEVICE){
if(device_bad("translate",device= optarg))return 2;
}
else if((r= beam_option("translate",c,optarg,&translate_beam))!=0){
if(r<0)return 2;
}
else if(c=='h'){
fputs(translate_usage,stdout);
return 0;
}else{
fprintf(stderr,"attention translate: %s \"%s\"\n",c==':'?"missing value for":
"unknown option",argv[optind-1]);
fputs(translate_usage,stderr);
return 2;
}
}

/*:573*/
#line 11004 "attention.w"

if(!model){
fprintf(stderr,"attention translate: --model CKPT is required\n");
fputs(translate_usage,stderr);
return 2;
}
/*574:*/
#line 11052 "attention.w"

Model m;
BModel bm;
const Backend*be= backend_for("translate",device);
if(!be)return 1;
int kind= checkpoint_load_any(model,&m,&bm,be,64);
if(kind<0){
fprintf(stderr,"attention translate: %s\n",kit_error());
return 1;
}
if(kind==KIND_SEED&&be!=&cpu_backend){
fprintf(stderr,"attention translate: %s holds the notebook's seed model, which "
"runs on the CPU only; drop --device cuda\n",model);
model_free(&m);
return 2;
}
if(kind!=KIND_SEED){
int status= beam_check("translate",&translate_beam,bm.cfg.L,&bm.vout)?2:
translate_batched(&bm,argc-optind,argv+optind,show_attention);
bmodel_free(&bm);
return status;
}

/*:574*/
#line 11010 "attention.w"

if(beam_check("translate",&translate_beam,m.cfg.L,&m.vout)){
model_free(&m);
return 2;
}
int failed= 0;
char where[64];
/*575:*/
#line 11077 "attention.w"

if(optind<argc)
for(int k= optind;k<argc;k++){
snprintf(where,sizeof where,"sentence %d",k-optind+1);
if(translate_one(&m,argv[k],strlen(argv[k]),where,show_attention)){
fprintf(stderr,"attention translate: %s\n",kit_error());
failed= 1;
}
}
else/*576:*/
#line 11091 "attention.w"

{
char*line= NULL;
size_t cap= 0;
ssize_t len;
for(long k= 1;(len= getline(&line,&cap,stdin))>=0;k++){
while(len> 0&&(line[len-1]=='\n'||line[len-1]=='\r'))len--;
snprintf(where,sizeof where,"line %ld",k);
if(translate_one(&m,line,(size_t)len,where,show_attention)){
fprintf(stderr,"attention translate: %s\n",kit_error());
failed= 1;
}
if(fflush(stdout)!=0)break;
}
/*586:*/
#line 11286 "attention.w"

if(ferror(stdin)){
fprintf(stderr,"attention translate: cannot read the standard input: %s\n",
strerror(errno));
failed= 1;
}

/*:586*/
#line 11105 "attention.w"

free(line);
}

/*:576*/
#line 11086 "attention.w"


/*:575*/
#line 11017 "attention.w"

model_free(&m);
return failed?1:0;
}

/*:572*/
#line 10056 "attention.w"

/*587:*/
#line 11301 "attention.w"

static const char*pairs_usage= 
"usage: attention pairs --data FILE [--filter tutorial|length] [--max-length L]\n"
"  Prints the normalised pairs that 'train --data FILE' would keep, tab-separated.\n";

static int cmd_pairs(int argc,char**argv)
{
const char*data= NULL;
int filter= FILTER_TUTORIAL;
long max_length= DEFAULT_MAX_LENGTH;
/*588:*/
#line 11331 "attention.w"

static const struct option longopts[]= {{"data",required_argument,0,'d'},
{"filter",required_argument,0,'f'},{"max-length",required_argument,0,'L'},
{"help",no_argument,0,'h'},{0,0,0,0}};
int c;
opterr= 0;
optind= 1;
while((c= getopt_long(argc,argv,":h",longopts,NULL))!=-1){
if(c=='d')data= optarg;
else if(c=='f'&&(strcmp(optarg,"tutorial")==0||strcmp(optarg,"length")==0))
filter= strcmp(optarg,"tutorial")==0?FILTER_TUTORIAL:FILTER_LENGTH;
else if(c=='L'){
if(parse_long("pairs","--max-length",optarg,1,DEFAULT_MAX_LENGTH*4,&max_length))
return 2;
}else if(c=='h'){
fputs(pairs_usage,stdout);
return 0;
}else{
fprintf(stderr,"attention pairs: bad option \"%s\"\n",argv[optind-1]);
fputs(pairs_usage,stderr);
return 2;
}
}

/*:588*/
#line 11311 "attention.w"

if(!data||optind<argc){
fputs(pairs_usage,stderr);
return 2;
}
PairList pl;
if(pairs_read(&pl,data,filter,(int)max_length)){
fprintf(stderr,"attention pairs: %s\n",kit_error());
return 1;
}
for(int k= 0;k<pl.n;k++)printf("%s\t%s\n",pl.pair[k].src,pl.pair[k].tgt);
fprintf(stderr,"%ld pairs read, %d kept, %ld dropped by the filter\n",pl.lines_read,
pl.n,pl.dropped);
pairs_free(&pl);
return 0;
}

/*:587*/
#line 10057 "attention.w"


/*:520*//*590:*/
#line 11366 "attention.w"

/*598:*/
#line 11541 "attention.w"

static const char*bleu_usage= 
"usage: attention bleu [--hyp FILE] [--precise] REFERENCES [REFERENCES ...]\n"
"  Corpus BLEU-4 of the translations in FILE (default: standard input), one a line,\n"
"  against the reference files, line by line (an empty reference line is none).\n";

/*:598*//*599:*/
#line 11550 "attention.w"

static int read_lines(const char*path,FILE*f,char***lines,int*n)
{
char*line= NULL;
size_t cap= 0;
ssize_t len;
int k= 0,room= 0;
*lines= NULL;
while((len= getline(&line,&cap,f))>=0){
while(len> 0&&(line[len-1]=='\n'||line[len-1]=='\r'))len--;
size_t bad;
char*norm= normalize_sentence(line,(size_t)len,&bad);
if(!norm){
free(line);
return kit_fail("%s:%d: invalid UTF-8 at byte %zu",path,k+1,bad+1);
}
if(k==room)*lines= xrealloc(*lines,(size_t)(room= room?2*room:64)*sizeof**lines);
(*lines)[k++]= norm;
}
free(line);
*n= k;
return ferror(f)?kit_fail("%s: read error",path):0;
}

/*:599*//*600:*/
#line 11575 "attention.w"

static int bleu_of_lines(char**h,int nh,char***ref,int n_refs,int precise)
{
Vocab v;
vocab_init(&v);
BleuStats b= {0};
int**ids= xcalloc((size_t)n_refs,sizeof*ids),*len= xcalloc((size_t)n_refs,sizeof(int));
int status= 0;
for(int k= 0;k<nh&&status==0;k++){
int*hi,hl= words_intern(&v,h[k],&hi),m= 0;
for(int r= 0;r<n_refs;r++)
if(*ref[r][k])len[m]= words_intern(&v,ref[r][k],&ids[m]),m++;
if(m==0)status= kit_fail("line %d has no reference",k+1);
else bleu_add(&b,hi,hl,(const int*const*)ids,len,m);
for(int r= 0;r<m;r++)free(ids[r]);
free(hi);
}
if(status==0)/*601:*/
#line 11600 "attention.w"

{
char line[256];
bleu_format(&b,line,sizeof line);
puts(line);
BleuScore s= bleu_score(&b);
if(precise)printf("bleu %.17g bp %.17g p %.17g %.17g %.17g %.17g\n",s.bleu,s.bp,
s.p[0],s.p[1],s.p[2],s.p[3]);
}

/*:601*/
#line 11592 "attention.w"

free(ids);
free(len);
vocab_free(&v);
return status;
}

/*:600*//*602:*/
#line 11611 "attention.w"

static int cmd_bleu(int argc,char**argv)
{
static const struct option longopts[]= {{"hyp",required_argument,0,'y'},
{"precise",no_argument,0,'p'},{"help",no_argument,0,'h'},{0,0,0,0}};
const char*hyp= NULL;
int c,precise= 0;
/*603:*/
#line 11630 "attention.w"

opterr= 0;
optind= 1;
while((c= getopt_long(argc,argv,":h",longopts,NULL))!=-1){
if(c=='y')hyp= optarg;
else if(c=='p')precise= 1;
else if(c=='h'){fputs(bleu_usage,stdout);return 0;}
else{
fprintf(stderr,"attention bleu: %s \"%s\"\n",c==':'?"missing value for":
"unknown option",argv[optind-1]);
fputs(bleu_usage,stderr);
return 2;
}
}

/*:603*/
#line 11618 "attention.w"

if(optind>=argc){
fprintf(stderr,"attention bleu: no reference file\n");
fputs(bleu_usage,stderr);
return 2;
}
int n_refs= argc-optind,status= 0;
/*604:*/
#line 11646 "attention.w"

char***ref= xcalloc((size_t)n_refs,sizeof*ref),**h= NULL;
int*nr= xcalloc((size_t)n_refs,sizeof(int)),nh= 0;
FILE*f= hyp?fopen(hyp,"rb"):stdin;
if(!f)status= kit_fail("%s: cannot open: %s",hyp,strerror(errno));
else{
status= read_lines(hyp?hyp:"standard input",f,&h,&nh);
if(hyp)fclose(f);
}
for(int r= 0;r<n_refs&&status==0;r++){
FILE*g= fopen(argv[optind+r],"rb");
if(!g)status= kit_fail("%s: cannot open: %s",argv[optind+r],strerror(errno));
else{
status= read_lines(argv[optind+r],g,&ref[r],&nr[r]);
fclose(g);
if(status==0&&nr[r]!=nh)
status= kit_fail("%s has %d lines, the translations %d",argv[optind+r],nr[r],nh);
}
}
if(status==0)status= bleu_of_lines(h,nh,ref,n_refs,precise);
if(status)fprintf(stderr,"attention bleu: %s\n",kit_error());
/*605:*/
#line 11672 "attention.w"

for(int k= 0;k<nh;k++)free(h[k]);
free(h);
for(int r= 0;r<n_refs;r++){
for(int k= 0;k<nr[r];k++)free(ref[r][k]);
free(ref[r]);
}
free(ref);
free(nr);

/*:605*/
#line 11667 "attention.w"

status= status?1:0;

/*:604*/
#line 11625 "attention.w"

return status;
}

/*:602*/
#line 11367 "attention.w"

/*606:*/
#line 11697 "attention.w"

static const char*split_usage= 
"usage: attention split --data FILE --out-dir DIR [--test F] [--valid F] [--seed S]\n"
"       [--filter tutorial|length]\n"
"  Writes DIR/train.txt, DIR/valid.txt and DIR/test.txt: the pairs of FILE that the\n"
"  filter keeps (default: tutorial, as train), split by English sentence, so that no\n"
"  English sentence is in two of them; shares F of the sentences (default 0.1 each),\n"
"  shuffled with seed S (default 1).\n";

/*:606*//*607:*/
#line 11708 "attention.w"

static int cmd_split(int argc,char**argv)
{
static const struct option longopts[]= {{"data",required_argument,0,'d'},
{"out-dir",required_argument,0,'o'},{"test",required_argument,0,'t'},
{"valid",required_argument,0,'v'},{"seed",required_argument,0,'s'},
{"filter",required_argument,0,'f'},{"help",no_argument,0,'h'},{0,0,0,0}};
const char*data= NULL,*dir= NULL;
double share[2]= {0.1,0.1};
long seed= 1;
int filter= FILTER_TUTORIAL,c;
/*608:*/
#line 11735 "attention.w"

opterr= 0;
optind= 1;
while((c= getopt_long(argc,argv,":h",longopts,NULL))!=-1){
int bad= 0;
if(c=='d')data= optarg;
else if(c=='o')dir= optarg;
else if(c=='t'||c=='v')/*609:*/
#line 11762 "attention.w"

{
char*end;
double x= strtod(optarg,&end);
if(end==optarg||*end||!(x>=0.0&&x<1.0)){
fprintf(stderr,"attention split: %s wants a share from 0 to below 1, not \"%s\"\n",
argv[optind-1],optarg);
bad= 1;
}else share[c=='v']= x;
}

/*:609*/
#line 11742 "attention.w"

else if(c=='s')bad= parse_long("split","--seed",optarg,0,0x7fffffffffffL,&seed)!=0;
else if(c=='f'&&(strcmp(optarg,"tutorial")==0||strcmp(optarg,"length")==0))
filter= strcmp(optarg,"tutorial")==0?FILTER_TUTORIAL:FILTER_LENGTH;
else if(c=='h'){fputs(split_usage,stdout);return 0;}
else{
fprintf(stderr,"attention split: bad option \"%s\"\n",argv[optind-1]);
bad= 1;
}
if(bad){fputs(split_usage,stderr);return 2;}
}
if(!data||!dir||optind<argc){
fprintf(stderr,"attention split: %s\n",optind<argc?"unexpected argument":
"--data FILE and --out-dir DIR are required");
fputs(split_usage,stderr);
return 2;
}

/*:608*/
#line 11719 "attention.w"

PairList pl;
if(pairs_read(&pl,data,filter,DEFAULT_MAX_LENGTH)){
fprintf(stderr,"attention split: %s\n",kit_error());
return 1;
}
int*part= xcalloc((size_t)pl.n,sizeof(int)),counts[3][2];
int status= pairs_split(&pl,share[0],share[1],(uint64_t)seed,part,counts);
if(status==0)/*610:*/
#line 11774 "attention.w"

{
static const char*const name[3]= {"train","valid","test"};
if(mkdir(dir,0777)!=0&&errno!=EEXIST)
status= kit_fail("%s: cannot make the folder: %s",dir,strerror(errno));
for(int p= 0;p<3&&status==0;p++){
char path[4096];
snprintf(path,sizeof path,"%s/%s.txt",dir,name[p]);
FILE*f= fopen(path,"wb");
if(!f){
status= kit_fail("%s: cannot write: %s",path,strerror(errno));
break;
}
for(int k= 0;k<pl.n;k++)
if(part[k]==p)fprintf(f,"%s\t%s\n",pl.pair[k].src,pl.pair[k].tgt);
if(fclose(f)!=0)status= kit_fail("%s: cannot write: %s",path,strerror(errno));
else printf("%-5s %6d English sentences, %6d pairs -> %s\n",name[p],counts[p][0],
counts[p][1],path);
}
}

/*:610*/
#line 11727 "attention.w"

if(status)fprintf(stderr,"attention split: %s\n",kit_error());
free(part);
pairs_free(&pl);
return status?1:0;
}

/*:607*/
#line 11368 "attention.w"

/*611:*/
#line 11807 "attention.w"

static const char*eval_usage= 
"usage: attention eval --model CKPT --data FILE [OPTIONS]\n"
"  Translates every English sentence of FILE (pairs with the same English are one\n"
"  source with several references) and prints corpus BLEU-4 in sacreBLEU's form,\n"
"  the exact-match rate, BLEU by source length and the speed.\n"
"  --show N            print N sources with their references and translations\n"
"  --output FILE       write the translations to FILE, one a line, in order\n"
"  --batch B           sentences decoded together (default 64)\n"
BEAM_USAGE;

typedef struct{
const char*model,*data,*output;
long show,batch;
BeamChoice beam;
}EvalOptions;

/*:611*//*612:*/
#line 11825 "attention.w"

static int eval_options(int argc,char**argv,EvalOptions*o)
{
static const struct option longopts[]= {{"model",required_argument,0,'m'},
{"data",required_argument,0,'d'},{"show",required_argument,0,'S'},
{"output",required_argument,0,'o'},{"batch",required_argument,0,'b'},
{"help",no_argument,0,'h'},BEAM_OPTIONS,{0,0,0,0}};
int c,bad= 0,r;
*o= (EvalOptions){NULL,NULL,NULL,0,64,{{0}}};
beam_defaults(&o->beam);
opterr= 0;
optind= 1;
while(!bad&&(c= getopt_long(argc,argv,":h",longopts,NULL))!=-1)
/*613:*/
#line 11850 "attention.w"

{
if(c=='m')o->model= optarg;
else if(c=='d')o->data= optarg;
else if(c=='o')o->output= optarg;
else if(c=='S')bad= parse_long("eval","--show",optarg,0,100000000,&o->show)!=0;
else if(c=='b')bad= parse_long("eval","--batch",optarg,1,100000,&o->batch)!=0;
else if(c=='h'){fputs(eval_usage,stdout);exit(0);}
else if((r= beam_option("eval",c,optarg,&o->beam))!=0)bad= r<0;
else{
fprintf(stderr,"attention eval: %s \"%s\"\n",c==':'?"missing value for":
"unknown option",argv[optind-1]);
bad= 1;
}
}

/*:613*/
#line 11838 "attention.w"

if(!bad&&(!o->model||!o->data||optind<argc)){
fprintf(stderr,"attention eval: %s\n",optind<argc?"unexpected argument":
"--model CKPT and --data FILE are required");
bad= 1;
}
if(bad)fputs(eval_usage,stderr);
return bad?-1:0;
}

/*:612*//*614:*/
#line 11868 "attention.w"

static int eval_rows(const EvalOptions*o)
{
long rows= o->batch*o->beam.o.beam;
return rows> 1024?1024:(int)rows;
}

static void eval_free_model(int kind,Model*m,BModel*bm)
{
if(kind==KIND_SEED)model_free(m);
else bmodel_free(bm);
}

/*:614*//*615:*/
#line 11882 "attention.w"

static int cmd_eval(int argc,char**argv)
{
EvalOptions o;
if(eval_options(argc,argv,&o))return 2;
/*616:*/
#line 11900 "attention.w"

Model m;
BModel bm;
PairList pl;
int kind= checkpoint_load_any(o.model,&m,&bm,&cpu_backend,eval_rows(&o));
if(kind<0){
fprintf(stderr,"attention eval: %s\n",kit_error());
return 1;
}
int L= kind?bm.cfg.L:m.cfg.L;
const Vocab*vin= kind?&bm.vin:&m.vin,*vout= kind?&bm.vout:&m.vout;
if(beam_check("eval",&o.beam,L,vout)){eval_free_model(kind,&m,&bm);return 2;}
if(pairs_read(&pl,o.data,FILTER_LENGTH,DEFAULT_MAX_LENGTH*4)){
fprintf(stderr,"attention eval: %s\n",kit_error());
eval_free_model(kind,&m,&bm);
return 1;
}

/*:616*/
#line 11887 "attention.w"

int n_src,*group= pairs_group_sources(&pl,&n_src),status= 0;
/*617:*/
#line 11921 "attention.w"

int*first= xcalloc((size_t)n_src,sizeof(int)),*n_ref= xcalloc((size_t)n_src,sizeof(int));
int**ref= xcalloc((size_t)n_src,sizeof*ref),*ref_fill= xcalloc((size_t)n_src,sizeof(int));
for(int k= pl.n-1;k>=0;k--)first[group[k]]= k,n_ref[group[k]]++;
for(int s= 0;s<n_src;s++)ref[s]= xcalloc((size_t)n_ref[s],sizeof(int));
for(int k= 0;k<pl.n;k++)ref[group[k]][ref_fill[group[k]]++]= k;
int*src= xcalloc((size_t)n_src*(size_t)L,sizeof(int)),*src_len= xcalloc((size_t)n_src,
sizeof(int)),failed= 0;
Vocab unknown;
int unk_sources= 0;
vocab_init(&unknown);
for(int s= 0;s<n_src;s++){
char where[600];
snprintf(where,sizeof where,"%.500s:%d",o.data,pl.pair[first[s]].line);
if(kind==KIND_SEED)
src_len[s]= tokenize(vin,pl.pair[first[s]].src,src+(size_t)s*L,L,where,"English");
else/*619:*/
#line 11960 "attention.w"

{
int unk= 0,*ids= src+(size_t)s*L;
int n= tokenize_unk(vin,pl.pair[first[s]].src,ids,L-1,&unk);
if(n<0)kit_fail("%s: the English sentence has more than %d words, the most this model "
"reads",where,L-1);
if(unk&&n> 0)unk_sources++,warn_unknown(NULL,vin,&unknown,pl.pair[first[s]].src,where);
if(n> 0)ids[n++]= EOS_TOKEN;
src_len[s]= n;
}

/*:619*/
#line 11937 "attention.w"

if(src_len[s]<=0&&failed++==0)
fprintf(stderr,"attention eval: warning: %s; such sources count as empty "
"translations\n",src_len[s]<0?kit_error():"a source has no words");
}
if(unk_sources)/*618:*/
#line 11949 "attention.w"

{
fprintf(stderr,"attention eval: warning: %d words of %s are not in the model's English "
"vocabulary and are read as <UNK> (in %d of %d sources):",unknown.n-2,o.data,
unk_sources,n_src);
for(int k= 2;k<unknown.n&&k<7;k++)fprintf(stderr," %s",unknown.word[k]);
fprintf(stderr,"%s\n",unknown.n> 7?" ...":"");
}

/*:618*/
#line 11942 "attention.w"

vocab_free(&unknown);

/*:617*/
#line 11889 "attention.w"

/*620:*/
#line 11973 "attention.w"

char**hyp= xcalloc((size_t)n_src,sizeof*hyp);
Decoder*d= kind==KIND_SEED?model_decoder(&m):bmodel_decoder(&bm);
double t0= now_seconds();
for(int s0= 0;s0<n_src;s0+= (int)o.batch){
int*idx= xcalloc((size_t)o.batch,sizeof(int)),nb= 0;
for(int s= s0;s<n_src&&s<s0+o.batch;s++)
if(src_len[s]> 0)idx[nb++]= s;
else hyp[s]= xstrdup("");
if(nb> 0&&kind!=KIND_SEED&&!o.beam.used)
/*622:*/
#line 12018 "attention.w"

{
Example*ex= xcalloc((size_t)nb,sizeof*ex);
int*out= xcalloc((size_t)nb*L,sizeof(int)),*len= xcalloc((size_t)nb,sizeof(int));
for(int j= 0;j<nb;j++){
memcpy(ex[j].src,src+(size_t)idx[j]*L,(size_t)src_len[idx[j]]*sizeof(int));
ex[j].src_len= src_len[idx[j]];
}
bmodel_greedy(&bm,ex,nb,out,len,NULL);
for(int j= 0;j<nb;j++)hyp[idx[j]]= words_join(vout,out+(size_t)j*L,len[j]);
free(ex),free(out),free(len);
}

/*:622*/
#line 11983 "attention.w"

else if(nb> 0)/*621:*/
#line 11991 "attention.w"

{
const int**sp= xcalloc((size_t)nb,sizeof*sp);
int*len= xcalloc((size_t)nb,sizeof(int)),*found= xcalloc((size_t)nb,sizeof(int));
for(int j= 0;j<nb;j++)sp[j]= src+(size_t)idx[j]*L,len[j]= src_len[idx[j]];
float*init= xcalloc((size_t)nb*(size_t)d->state_floats,sizeof(float));
d->encode(d,sp,len,nb,init);
Hypothesis*y= xcalloc((size_t)nb*(size_t)o.beam.o.n_best,sizeof*y);
beam_search(d,nb,init,&o.beam.o,y,found);
for(int j= 0;j<nb;j++){
char*copy= xstrdup(pl.pair[first[idx[j]]].src),*words[DEFAULT_MAX_LENGTH*4];
int nw= 0;
for(char*p= strtok(copy," ");p&&nw<DEFAULT_MAX_LENGTH*4;p= strtok(NULL," "))
words[nw++]= p;
Hypothesis*best= &y[(size_t)j*o.beam.o.n_best];
hyp[idx[j]]= hypothesis_words(d,vout,best,words,nw,o.beam.replace_unk);
hypotheses_free(best,found[j]);
free(copy);
}
free(y);free(init);free(sp);free(len);free(found);
}

/*:621*/
#line 11984 "attention.w"

free(idx);
}
double seconds= now_seconds()-t0;
d->release(d);

/*:620*/
#line 11890 "attention.w"

/*623:*/
#line 12034 "attention.w"

BleuStats all= {0},by_len[4];
memset(by_len,0,sizeof by_len);
int exact= 0;
for(int s= 0;s<n_src;s++){
const char*en= pl.pair[first[s]].src;
int nw= 1;
for(const char*p= en;*p;p++)nw+= *p==' ';
int bucket= nw<=3?0:nw<=6?1:nw<=9?2:3;
/*624:*/
#line 12048 "attention.w"

{
Vocab v;
vocab_init(&v);
int*h,hl= words_intern(&v,hyp[s],&h);
int**r= xcalloc((size_t)n_ref[s],sizeof*r),*rl= xcalloc((size_t)n_ref[s],sizeof(int));
int hit= 0;
for(int i= 0;i<n_ref[s];i++){
rl[i]= words_intern(&v,pl.pair[ref[s][i]].tgt,&r[i]);
hit|= src_len[s]> 0&&strcmp(hyp[s],pl.pair[ref[s][i]].tgt)==0;
}
exact+= hit;
bleu_add(&all,h,hl,(const int*const*)r,rl,n_ref[s]);
bleu_add(&by_len[bucket],h,hl,(const int*const*)r,rl,n_ref[s]);
for(int i= 0;i<n_ref[s];i++)free(r[i]);
free(r);free(rl);free(h);
vocab_free(&v);
}

/*:624*/
#line 12043 "attention.w"

}
/*625:*/
#line 12068 "attention.w"

{
char line[256];
static const char*const bucket_name[4]= {"1-3","4-6","7-9","10+"};
printf("Sources: %d (%d references) from %s\n",n_src,pl.n,o.data);
if(o.beam.used)printf("Decoding: beam %d, length penalty %s, alpha %g, max length %d\n",
o.beam.o.beam,o.beam.o.penalty==LP_NONE?"none":o.beam.o.penalty==LP_AVG?"avg":"wu",
o.beam.o.alpha,o.beam.o.max_length);
else printf("Decoding: greedy (beam 1), max length %d\n",o.beam.o.max_length);
bleu_format(&all,line,sizeof line);
printf("%s\n",line);
printf("Exact match: %.1f%% (%d of %d sources equal one of their references)\n",
n_src?100.0*exact/n_src:0.0,exact,n_src);
for(int b= 0;b<4;b++)
if(by_len[b].sentences> 0){
bleu_format(&by_len[b],line,sizeof line);
printf("  %-3s words: %5ld sources, %s\n",bucket_name[b],by_len[b].sentences,line);
}else if(b<3)printf("  %-3s words:    no sources\n",bucket_name[b]);
if(failed)printf("Failed: %d sources the model cannot read, counted as empty translations\n",
failed);
printf("Speed: %d sources in %.3f s, %.0f sentences/s\n",n_src-failed,seconds,
seconds> 0?(n_src-failed)/seconds:0.0);
/*626:*/
#line 12094 "attention.w"

for(int s= 0;s<n_src&&s<o.show;s++){
printf("EN:  %s\n",pl.pair[first[s]].src);
for(int i= 0;i<n_ref[s];i++)printf("REF: %s\n",pl.pair[ref[s][i]].tgt);
printf("OUT: %s\n",hyp[s]);
}

/*:626*/
#line 12090 "attention.w"

}

/*:625*/
#line 12045 "attention.w"


/*:623*/
#line 11891 "attention.w"

/*627:*/
#line 12102 "attention.w"

if(o.output){
FILE*f= fopen(o.output,"wb");
if(!f)status= kit_fail("%s: cannot write: %s",o.output,strerror(errno));
else{
for(int s= 0;s<n_src;s++)fprintf(f,"%s\n",hyp[s]);
if(fclose(f)!=0)status= kit_fail("%s: cannot write: %s",o.output,strerror(errno));
}
if(status){
fprintf(stderr,"attention eval: %s\n",kit_error());
status= 1;
}
}

/*:627*/
#line 11892 "attention.w"

/*628:*/
#line 12117 "attention.w"

for(int s= 0;s<n_src;s++)free(hyp[s]),free(ref[s]);
free(hyp);free(ref);free(ref_fill);free(n_ref);free(first);free(src);free(src_len);
free(group);
pairs_free(&pl);
eval_free_model(kind,&m,&bm);

/*:628*/
#line 11893 "attention.w"

return status;
}

/*:615*/
#line 11369 "attention.w"


/*:590*/
#line 9982 "attention.w"


static const struct{
const char*name,*summary;
int(*run)(int argc,char**argv);
}commands[]= {
/*519:*/
#line 10046 "attention.w"

{"train","train a translator (the notebook's five pairs, or a pair file)",cmd_train},
{"translate","translate sentences with a saved model",cmd_translate},
{"pairs","print the pairs that training would read from a file",cmd_pairs},
/*494:*/
#line 9521 "attention.w"

{"heatmap","draw the attention weights of a translation (PNG, PDF or SVG)",cmd_heatmap},
{"loss-curve","draw the average loss per epoch from train --loss-log",cmd_loss_curve},

/*:494*/
#line 10050 "attention.w"


/*:519*//*589:*/
#line 11360 "attention.w"

{"bleu","score translations against references (corpus BLEU-4, sacreBLEU's form)",cmd_bleu},
{"split","split a pair file into train, valid and test files by English sentence",cmd_split},
{"eval","translate a pair file and report BLEU, exact matches and speed",cmd_eval},

/*:589*/
#line 9988 "attention.w"

};

/*:515*//*516:*/
#line 9993 "attention.w"

int main(int argc,char**argv)
{
size_t n= sizeof commands/sizeof commands[0];
if(argc>=2)
for(size_t k= 0;k<n;k++)
if(strcmp(argv[1],commands[k].name)==0)
return check_stdout(commands[k].name,commands[k].run(argc-1,argv+1));
/*518:*/
#line 10034 "attention.w"

FILE*out= argc>=2&&(strcmp(argv[1],"--help")==0||strcmp(argv[1],"-h")==0
||strcmp(argv[1],"help")==0)?stdout:stderr;
if(out==stderr&&argc>=2)fprintf(stderr,"attention: unknown command \"%s\"\n",argv[1]);
fputs("usage: attention COMMAND [OPTIONS]\n",out);
for(size_t k= 0;k<n;k++)fprintf(out,"  %-10s %s\n",commands[k].name,commands[k].summary);
fputs("Run 'attention COMMAND --help' for a command's options.\n",out);
return out==stdout?check_stdout(NULL,0):2;

/*:518*/
#line 10002 "attention.w"

}

/*:516*/
