/*291:*/
#line 5708 "attention.w"

#include "attention.h"
#include <stdlib.h> 
#include <string.h> 
#include <errno.h> 
#include <getopt.h> 
#include <time.h> 
/*277:*/
#line 5394 "attention.w"

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

/*:277*//*278:*/
#line 5417 "attention.w"

static void report_figure(const char*path,const char*what,double seconds)
{
FILE*f= fopen(path,"rb");
long size= -1;
if(f&&fseek(f,0,SEEK_END)==0)size= ftell(f);
if(f)fclose(f);
printf("Wrote %s (%s, %.1f kB, %.1f ms)\n",path,what,size/1000.0,1e3*seconds);
}

/*:278*//*284:*/
#line 5555 "attention.w"

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

/*:284*//*285:*/
#line 5571 "attention.w"

static int loss_log_check(void)
{
const char*slash= strrchr(loss_log_path,'/');
char*dir= slash?xstrdup(loss_log_path):xstrdup(".");
if(slash)dir[slash==loss_log_path?1:slash-loss_log_path]= 0;
int ok= access(dir,W_OK)==0;
if(!ok)fprintf(stderr,"attention train: %s: cannot write the loss log: %s: %s\n",
loss_log_path,dir,strerror(errno));
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

/*:285*//*295:*/
#line 5760 "attention.w"

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

/*:295*//*296:*/
#line 5777 "attention.w"

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

/*:296*//*297:*/
#line 5795 "attention.w"

static double now_seconds(void)
{
struct timespec ts;
clock_gettime(CLOCK_MONOTONIC,&ts);
return(double)ts.tv_sec+1e-9*(double)ts.tv_nsec;
}

/*:297*//*310:*/
#line 6037 "attention.w"

static char*words_join(const Vocab*v,const int*ids,int n)
{
size_t len= 1;
for(int k= 0;k<n;k++)len+= strlen(v->word[ids[k]])+1;
char*s= xcalloc(len,1),*p= s;
for(int k= 0;k<n;k++)p+= sprintf(p,k?" %s":"%s",v->word[ids[k]]);
return s;
}

/*:310*/
#line 5715 "attention.w"

/*274:*/
#line 5371 "attention.w"

/*276:*/
#line 5383 "attention.w"

static const char*heatmap_usage= 
"usage: attention heatmap --model CKPT --out FILE [--out FILE ...] [OPTIONS] SENTENCE\n"
"  Translates SENTENCE and draws the attention weights of every output word.\n"
"  --model CKPT          the model (a safetensors checkpoint from train --save)\n"
"  --out FILE            the figure; .png, .pdf or .svg (may be repeated)\n"
"  --style bone|ylorrd   the notebook's imshow style with the 'bone' colormap\n"
"                        (the default), or its seaborn style with 'YlOrRd'\n"
"  --scale data|unit     colours from the weights' own range (the default, as\n"
"                        the notebook) or from 0 to 1\n";

/*:276*//*279:*/
#line 5427 "attention.w"

static int cmd_heatmap(int argc,char**argv)
{
static const struct option longopts[]= {{"model",required_argument,0,'m'},
{"out",required_argument,0,'o'},{"style",required_argument,0,'s'},
{"scale",required_argument,0,'S'},{"help",no_argument,0,'h'},{0,0,0,0}};
const char*model= NULL,*outs[MAX_OUTS];
int nout= 0,c,bad= 0,style= HEATMAP_MATPLOTLIB,unit= 0;
opterr= 0;
optind= 1;
while(!bad&&(c= getopt_long(argc,argv,":h",longopts,NULL))!=-1)switch(c){
/*280:*/
#line 5453 "attention.w"

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
case'h':fputs(heatmap_usage,stdout);exit(0);
case':':fprintf(stderr,"attention heatmap: %s needs a value\n",argv[optind-1]);
bad= 1;
break;
default:fprintf(stderr,"attention heatmap: unknown option \"%s\"\n",argv[optind-1]);
bad= 1;

/*:280*/
#line 5438 "attention.w"

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
if(check_outs("heatmap",outs,nout))return 1;
/*281:*/
#line 5478 "attention.w"

Model m;
if(checkpoint_load(&m,model)){
fprintf(stderr,"attention heatmap: %s\n",kit_error());
return 1;
}
int L= m.cfg.L,*src= xcalloc((size_t)L,sizeof(int)),*out= xcalloc((size_t)L,sizeof(int));
float*attn= xcalloc((size_t)L*L,sizeof(float));
int status= 1,T= -1,n= 0;
size_t badbyte;
char*norm= normalize_sentence(argv[optind],strlen(argv[optind]),&badbyte);
if(!norm)kit_fail("the sentence: invalid UTF-8 at byte %zu",badbyte+1);
else if((T= tokenize(&m.vin,norm,src,L,"the sentence","English"))==0)
kit_fail("the sentence has no words");
else if(T> 0&&(n= greedy_decode(&m,src,T,out,attn))==0)
kit_fail("the model translates \"%s\" into nothing: there is no attention to draw",norm);
if(n> 0){
/*282:*/
#line 5502 "attention.w"

const char**rw= xcalloc((size_t)n,sizeof(char*)),**cw= xcalloc((size_t)T,sizeof(char*));
for(int i= 0;i<n;i++)rw[i]= m.vout.word[out[i]];
for(int j= 0;j<T;j++)cw[j]= m.vin.word[src[j]];
char*fr= words_join(&m.vout,out,n),*title= xcalloc(strlen(norm)+strlen(fr)+64,1);
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

/*:282*/
#line 5495 "attention.w"

}else fprintf(stderr,"attention heatmap: %s\n",kit_error());
free(norm),free(src),free(out),free(attn);
model_free(&m);
return status;

/*:281*/
#line 5450 "attention.w"

}

/*:279*/
#line 5372 "attention.w"

/*286:*/
#line 5597 "attention.w"

static const char*loss_curve_usage= 
"usage: attention loss-curve --log FILE --out FILE [--out FILE ...] [--title TEXT]\n"
"  Draws the average loss per epoch written by 'attention train --loss-log FILE'.\n"
"  --log FILE     lines of 'epoch<TAB>average loss'\n"
"  --out FILE     the figure; .png, .pdf or .svg (may be repeated)\n"
"  --title TEXT   the title (default: 'Training: average loss per epoch')\n";

/*:286*//*287:*/
#line 5607 "attention.w"

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
/*288:*/
#line 5629 "attention.w"

if(*n==cap){
cap= cap?2*cap:1024;
*x= xrealloc(*x,(size_t)cap*sizeof(double));
*y= xrealloc(*y,(size_t)cap*sizeof(double));
}
(*x)[*n]= e,(*y)[(*n)++]= v;

/*:288*/
#line 5623 "attention.w"

}
fclose(f);
return*n> 0?0:kit_fail("%s: no epochs in the file",path);
}

/*:287*//*289:*/
#line 5637 "attention.w"

static int cmd_loss_curve(int argc,char**argv)
{
static const struct option longopts[]= {{"log",required_argument,0,'l'},
{"out",required_argument,0,'o'},{"title",required_argument,0,'t'},
{"help",no_argument,0,'h'},{0,0,0,0}};
const char*logfile= NULL,*outs[MAX_OUTS],*title= "Training: average loss per epoch";
int nout= 0,c,bad= 0;
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
/*290:*/
#line 5672 "attention.w"

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

/*:290*/
#line 5669 "attention.w"

}

/*:289*/
#line 5373 "attention.w"


/*:274*//*294:*/
#line 5753 "attention.w"

/*298:*/
#line 5805 "attention.w"

static const char*train_usage= 
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
"                      2 when the machine has two cores); same result either way\n";

/*:298*//*299:*/
#line 5826 "attention.w"

typedef struct{
const char*data,*init,*save;
int filter,append_eos;
long epochs,hidden,max_length,seed,print_every,show,threads;
double lr;
}TrainOptions;

static int train_options(int argc,char**argv,TrainOptions*o)
{
static const struct option longopts[]= {
{"pairs",required_argument,0,'p'},{"data",required_argument,0,'d'},
{"filter",required_argument,0,'f'},{"epochs",required_argument,0,'e'},
{"hidden",required_argument,0,'H'},{"max-length",required_argument,0,'L'},
{"lr",required_argument,0,'l'},{"seed",required_argument,0,'s'},
{"init",required_argument,0,'i'},{"save",required_argument,0,'o'},
{"no-eos",no_argument,0,'n'},{"print-every",required_argument,0,'P'},
{"show",required_argument,0,'S'},{"help",no_argument,0,'h'},
{"loss-log",required_argument,0,'g'},{"threads",required_argument,0,'T'},
{0,0,0,0}};
*o= (TrainOptions){NULL,NULL,NULL,FILTER_TUTORIAL,1,400,0,0,1,50,5,0,0.01};
int c,bad= 0;
opterr= 0;
optind= 1;
while(!bad&&(c= getopt_long(argc,argv,":h",longopts,NULL))!=-1)switch(c){
/*300:*/
#line 5861 "attention.w"

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
case'g':loss_log_path= optarg;break;
case'h':fputs(train_usage,stdout);exit(0);
case':':
fprintf(stderr,"attention train: %s needs a value\n",argv[optind-1]);
bad= 1;
break;
default:
fprintf(stderr,"attention train: unknown option \"%s\"\n",argv[optind-1]);
bad= 1;

/*:300*/
#line 5851 "attention.w"

}
if(!bad&&optind<argc){
fprintf(stderr,"attention train: unexpected argument \"%s\"\n",argv[optind]);
bad= 1;
}
if(bad)fputs(train_usage,stderr);
return bad?-1:0;
}

/*:299*//*301:*/
#line 5904 "attention.w"

static int cmd_train(int argc,char**argv)
{
TrainOptions o;
PairList pl;
Model m;
Example*ex= NULL;
int status= 0;
/*302:*/
#line 5930 "attention.w"

if(train_options(argc,argv,&o))return 2;
if(loss_log_path&&loss_log_check())return 1;
if(o.init&&(o.hidden||o.max_length)){
fprintf(stderr,"attention train: --init takes the sizes from the checkpoint; "
"drop --hidden and --max-length\n");
return 2;
}
int max_length= o.max_length?(int)o.max_length:DEFAULT_MAX_LENGTH;

/*:302*/
#line 5912 "attention.w"

/*303:*/
#line 5940 "attention.w"

if(o.data){
if(pairs_read(&pl,o.data,o.filter,max_length)){
fprintf(stderr,"attention train: %s\n",kit_error());
return 1;
}
}else pairs_seed(&pl);

/*:303*/
#line 5913 "attention.w"

/*306:*/
#line 5966 "attention.w"

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

/*:306*/
#line 5914 "attention.w"

/*304:*/
#line 5950 "attention.w"

if(make_examples(&pl,&m.vin,&m.vout,m.cfg.L,o.append_eos,&ex)){
fprintf(stderr,"attention train: %s\n",kit_error());
pairs_free(&pl);
model_free(&m);
return 1;
}

/*:304*/
#line 5915 "attention.w"

/*307:*/
#line 5981 "attention.w"

if(o.data)printf("Read %ld sentence pairs from %s; kept %d (%s filter)\n",
pl.lines_read,o.data,pl.n,o.filter==FILTER_TUTORIAL?"tutorial":"length");
else printf("Data: the notebook's %d sentence pairs\n",pl.n);
printf("Vocabulary: English %d words, French %d words (with <SOS> and <EOS>)\n",
m.vin.n,m.vout.n);
printf("Model: hidden %d, max_length %d, attention seed, %zu parameters%s\n",
m.cfg.H,m.cfg.L,m.n_params,o.init?" (from --init)":"");
printf("Training for %ld epochs, %s<EOS> on the targets\n",o.epochs,
o.append_eos?"":"no ");

/*:307*/
#line 5916 "attention.w"

/*308:*/
#line 5997 "attention.w"

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

/*:308*/
#line 5917 "attention.w"

/*305:*/
#line 5960 "attention.w"

if(o.save&&checkpoint_save(&m,o.save)){
fprintf(stderr,"attention train: %s\n",kit_error());
status= 1;
}

/*:305*/
#line 5918 "attention.w"

/*309:*/
#line 6023 "attention.w"

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

/*:309*/
#line 5919 "attention.w"

if(loss_log_path&&loss_log_save())status= 1;
free(ex);
pairs_free(&pl);
model_free(&m);
return status;
}

/*:301*/
#line 5754 "attention.w"

/*311:*/
#line 6054 "attention.w"

static const char*translate_usage= 
"usage: attention translate --model CKPT [--attention] [SENTENCE ...]\n"
"  Translates each SENTENCE, or each line of standard input when there is none,\n"
"  and prints one translation per line in the same order.\n"
"  --model CKPT   the model (a safetensors checkpoint from train --save)\n"
"  --attention    after each translation, a line per output word with its\n"
"                 attention weights on the source words and on the padding\n";

static int translate_one(Model*m,const char*s,size_t len,const char*where,
int show_attention)
{
size_t bad;
char*norm= normalize_sentence(s,len,&bad);
int*src= xcalloc((size_t)m->cfg.L,sizeof(int)),*out= xcalloc((size_t)m->cfg.L,sizeof(int));
float*attn= xcalloc((size_t)m->cfg.L*(size_t)m->cfg.L,sizeof(float));
int status= 0;
if(!norm)status= kit_fail("%s: invalid UTF-8 at byte %zu",where,bad+1);
else if(*norm)/*312:*/
#line 6083 "attention.w"

{
int n= tokenize(&m->vin,norm,src,m->cfg.L,where,"English");
if(n<0)status= -1;
else if(n==0)status= kit_fail("%s: the sentence has no words",where);
else{
int k= greedy_decode(m,src,n,out,attn);
char*t= words_join(&m->vout,out,k);
fputs(t,stdout);
free(t);
if(show_attention)/*313:*/
#line 6099 "attention.w"

for(int t= 0;t<k;t++){
double pad= 0.0;
printf("\n  %-12s",m->vout.word[out[t]]);
for(int i= 0;i<n;i++)printf(" %s %.3f",m->vin.word[src[i]],attn[t*m->cfg.L+i]);
for(int i= n;i<m->cfg.L;i++)pad+= attn[t*m->cfg.L+i];
printf("  (padding %.3f)",pad);
}

/*:313*/
#line 6093 "attention.w"

}
}

/*:312*/
#line 6072 "attention.w"

putchar('\n');
free(norm);
free(src);
free(out);
free(attn);
return status;
}

/*:311*//*314:*/
#line 6108 "attention.w"

static int cmd_translate(int argc,char**argv)
{
static const struct option longopts[]= {{"model",required_argument,0,'m'},
{"attention",no_argument,0,'a'},{"help",no_argument,0,'h'},{0,0,0,0}};
const char*model= NULL;
int c,show_attention= 0;
opterr= 0;
optind= 1;
while((c= getopt_long(argc,argv,":h",longopts,NULL))!=-1){
if(c=='m')model= optarg;
else if(c=='a')show_attention= 1;
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
if(!model){
fprintf(stderr,"attention translate: --model CKPT is required\n");
fputs(translate_usage,stderr);
return 2;
}
Model m;
if(checkpoint_load(&m,model)){
fprintf(stderr,"attention translate: %s\n",kit_error());
return 1;
}
int failed= 0;
char where[64];
/*315:*/
#line 6147 "attention.w"

if(optind<argc)
for(int k= optind;k<argc;k++){
snprintf(where,sizeof where,"sentence %d",k-optind+1);
if(translate_one(&m,argv[k],strlen(argv[k]),where,show_attention)){
fprintf(stderr,"attention translate: %s\n",kit_error());
failed= 1;
}
}
else{
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
fflush(stdout);
}
free(line);
}

/*:315*/
#line 6142 "attention.w"

model_free(&m);
return failed?1:0;
}

/*:314*/
#line 5755 "attention.w"

/*316:*/
#line 6177 "attention.w"

static const char*pairs_usage= 
"usage: attention pairs --data FILE [--filter tutorial|length] [--max-length L]\n"
"  Prints the normalised pairs that 'train --data FILE' would keep, tab-separated.\n";

static int cmd_pairs(int argc,char**argv)
{
const char*data= NULL;
int filter= FILTER_TUTORIAL;
long max_length= DEFAULT_MAX_LENGTH;
/*317:*/
#line 6200 "attention.w"

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
if(!data||optind<argc){
fputs(pairs_usage,stderr);
return 2;
}

/*:317*/
#line 6187 "attention.w"

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

/*:316*/
#line 5756 "attention.w"


/*:294*/
#line 5716 "attention.w"


static const struct{
const char*name,*summary;
int(*run)(int argc,char**argv);
}commands[]= {
/*293:*/
#line 5747 "attention.w"

{"train","train a translator (the notebook's five pairs, or a pair file)",cmd_train},
{"translate","translate sentences with a saved model",cmd_translate},
{"pairs","print the pairs that training would read from a file",cmd_pairs},
/*275:*/
#line 5377 "attention.w"

{"heatmap","draw the attention weights of a translation (PNG, PDF or SVG)",cmd_heatmap},
{"loss-curve","draw the average loss per epoch from train --loss-log",cmd_loss_curve},

/*:275*/
#line 5751 "attention.w"


/*:293*/
#line 5722 "attention.w"

};

int main(int argc,char**argv)
{
size_t n= sizeof commands/sizeof commands[0];
if(argc>=2)
for(size_t k= 0;k<n;k++)
if(strcmp(argv[1],commands[k].name)==0)return commands[k].run(argc-1,argv+1);
/*292:*/
#line 5735 "attention.w"

FILE*out= argc>=2&&(strcmp(argv[1],"--help")==0||strcmp(argv[1],"-h")==0
||strcmp(argv[1],"help")==0)?stdout:stderr;
if(out==stderr&&argc>=2)fprintf(stderr,"attention: unknown command \"%s\"\n",argv[1]);
fputs("usage: attention COMMAND [OPTIONS]\n",out);
for(size_t k= 0;k<n;k++)fprintf(out,"  %-10s %s\n",commands[k].name,commands[k].summary);
fputs("Run 'attention COMMAND --help' for a command's options.\n",out);
return out==stdout?0:2;

/*:292*/
#line 5732 "attention.w"

}

/*:291*/
