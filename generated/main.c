/*149:*/
#line 2597 "attention.w"

#include "attention.h"
#include <stdlib.h> 
#include <string.h> 
#include <errno.h> 
#include <getopt.h> 
#include <time.h> 
/*152:*/
#line 2644 "attention.w"

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

static double now_seconds(void)
{
struct timespec ts;
clock_gettime(CLOCK_MONOTONIC,&ts);
return(double)ts.tv_sec+1e-9*(double)ts.tv_nsec;
}

/*:152*//*161:*/
#line 2876 "attention.w"

static char*words_join(const Vocab*v,const int*ids,int n)
{
size_t len= 1;
for(int k= 0;k<n;k++)len+= strlen(v->word[ids[k]])+1;
char*s= xcalloc(len,1),*p= s;
for(int k= 0;k<n;k++)p+= sprintf(p,k?" %s":"%s",v->word[ids[k]]);
return s;
}

/*:161*/
#line 2604 "attention.w"

/*151:*/
#line 2637 "attention.w"

/*153:*/
#line 2684 "attention.w"

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
"  --show N            print N translations after training (default 5)\n";

/*:153*//*154:*/
#line 2702 "attention.w"

typedef struct{
const char*data,*init,*save;
int filter,append_eos;
long epochs,hidden,max_length,seed,print_every,show;
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
{"show",required_argument,0,'S'},{"help",no_argument,0,'h'},{0,0,0,0}};
*o= (TrainOptions){NULL,NULL,NULL,FILTER_TUTORIAL,1,400,0,0,1,50,5,0.01};
int c,bad= 0;
opterr= 0;
optind= 1;
while(!bad&&(c= getopt_long(argc,argv,":h",longopts,NULL))!=-1)switch(c){
/*155:*/
#line 2735 "attention.w"

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
case'h':fputs(train_usage,stdout);exit(0);
case':':
fprintf(stderr,"attention train: %s needs a value\n",argv[optind-1]);
bad= 1;
break;
default:
fprintf(stderr,"attention train: unknown option \"%s\"\n",argv[optind-1]);
bad= 1;

/*:155*/
#line 2725 "attention.w"

}
if(!bad&&optind<argc){
fprintf(stderr,"attention train: unexpected argument \"%s\"\n",argv[optind]);
bad= 1;
}
if(bad)fputs(train_usage,stderr);
return bad?-1:0;
}

/*:154*//*156:*/
#line 2776 "attention.w"

static int cmd_train(int argc,char**argv)
{
TrainOptions o;
if(train_options(argc,argv,&o))return 2;
if(o.init&&(o.hidden||o.max_length)){
fprintf(stderr,"attention train: --init takes the sizes from the checkpoint; "
"drop --hidden and --max-length\n");
return 2;
}
PairList pl;
Model m;
Example*ex= NULL;
int max_length= o.max_length?(int)o.max_length:DEFAULT_MAX_LENGTH;
if(o.data){
if(pairs_read(&pl,o.data,o.filter,max_length)){
fprintf(stderr,"attention train: %s\n",kit_error());
return 1;
}
}else pairs_seed(&pl);
/*157:*/
#line 2817 "attention.w"

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

/*:157*/
#line 2796 "attention.w"

if(make_examples(&pl,&m.vin,&m.vout,m.cfg.L,o.append_eos,&ex)){
fprintf(stderr,"attention train: %s\n",kit_error());
pairs_free(&pl);
model_free(&m);
return 1;
}
/*158:*/
#line 2832 "attention.w"

if(o.data)printf("Read %ld sentence pairs from %s; kept %d (%s filter)\n",
pl.lines_read,o.data,pl.n,o.filter==FILTER_TUTORIAL?"tutorial":"length");
else printf("Data: the notebook's %d sentence pairs\n",pl.n);
printf("Vocabulary: English %d words, French %d words (with <SOS> and <EOS>)\n",
m.vin.n,m.vout.n);
printf("Model: hidden %d, max_length %d, attention seed, %zu parameters%s\n",
m.cfg.H,m.cfg.L,m.n_params,o.init?" (from --init)":"");
printf("Training for %ld epochs, %s<EOS> on the targets\n",o.epochs,
o.append_eos?"":"no ");

/*:158*/
#line 2803 "attention.w"

/*159:*/
#line 2845 "attention.w"

double t0= now_seconds(),last_loss= 0.0;
for(long e= 1;e<=o.epochs;e++){
double total= 0.0;
for(int k= 0;k<pl.n;k++)
total+= train_step(&m,&ex[k],o.lr)/ex[k].tgt_len;
last_loss= total/pl.n;
if(e%o.print_every==0||e==o.epochs)
printf("Epoch %ld/%ld, Average Loss: %.4f\n",e,o.epochs,total/pl.n);
}
double seconds= now_seconds()-t0;
if(o.epochs> 0)printf("Final average loss: %.6e\n",last_loss);
printf("Trained in %.3f s (%ld steps, %.0f steps/s)\n",seconds,o.epochs*pl.n,
seconds> 0?(double)(o.epochs*pl.n)/seconds:0.0);

/*:159*/
#line 2804 "attention.w"

int status= 0;
if(o.save&&checkpoint_save(&m,o.save)){
fprintf(stderr,"attention train: %s\n",kit_error());
status= 1;
}
/*160:*/
#line 2862 "attention.w"

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

/*:160*/
#line 2810 "attention.w"

free(ex);
pairs_free(&pl);
model_free(&m);
return status;
}

/*:156*/
#line 2638 "attention.w"

/*162:*/
#line 2893 "attention.w"

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
else if(*norm){
int n= tokenize(&m->vin,norm,src,m->cfg.L,where,"English");
if(n<0)status= -1;
else if(n==0)status= kit_fail("%s: the sentence has no words",where);
else{
int k= greedy_decode(m,src,n,out,attn);
char*t= words_join(&m->vout,out,k);
fputs(t,stdout);
free(t);
if(show_attention)/*163:*/
#line 2933 "attention.w"

for(int t= 0;t<k;t++){
double pad= 0.0;
printf("\n  %-12s",m->vout.word[out[t]]);
for(int i= 0;i<n;i++)printf(" %s %.3f",m->vin.word[src[i]],attn[t*m->cfg.L+i]);
for(int i= n;i<m->cfg.L;i++)pad+= attn[t*m->cfg.L+i];
printf("  (padding %.3f)",pad);
}

/*:163*/
#line 2920 "attention.w"

}
}
putchar('\n');
free(norm);
free(src);
free(out);
free(attn);
return status;
}

/*:162*//*164:*/
#line 2942 "attention.w"

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
/*165:*/
#line 2981 "attention.w"

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

/*:165*/
#line 2976 "attention.w"

model_free(&m);
return failed?1:0;
}

/*:164*/
#line 2639 "attention.w"

/*166:*/
#line 3011 "attention.w"

static const char*pairs_usage= 
"usage: attention pairs --data FILE [--filter tutorial|length] [--max-length L]\n"
"  Prints the normalised pairs that 'train --data FILE' would keep, tab-separated.\n";

static int cmd_pairs(int argc,char**argv)
{
static const struct option longopts[]= {{"data",required_argument,0,'d'},
{"filter",required_argument,0,'f'},{"max-length",required_argument,0,'L'},
{"help",no_argument,0,'h'},{0,0,0,0}};
const char*data= NULL;
int filter= FILTER_TUTORIAL,c;
long max_length= DEFAULT_MAX_LENGTH;
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

/*:166*/
#line 2640 "attention.w"


/*:151*/
#line 2605 "attention.w"


static const struct{
const char*name,*summary;
int(*run)(int argc,char**argv);
}commands[]= {
/*150:*/
#line 2632 "attention.w"

{"train","train a translator (the notebook's five pairs, or a pair file)",cmd_train},
{"translate","translate sentences with a saved model",cmd_translate},
{"pairs","print the pairs that training would read from a file",cmd_pairs}

/*:150*/
#line 2611 "attention.w"

};

int main(int argc,char**argv)
{
size_t n= sizeof commands/sizeof commands[0];
if(argc>=2)
for(size_t k= 0;k<n;k++)
if(strcmp(argv[1],commands[k].name)==0)return commands[k].run(argc-1,argv+1);
FILE*out= argc>=2&&(strcmp(argv[1],"--help")==0||strcmp(argv[1],"-h")==0
||strcmp(argv[1],"help")==0)?stdout:stderr;
if(out==stderr&&argc>=2)fprintf(stderr,"attention: unknown command \"%s\"\n",argv[1]);
fputs("usage: attention COMMAND [OPTIONS]\n",out);
for(size_t k= 0;k<n;k++)fprintf(out,"  %-10s %s\n",commands[k].name,commands[k].summary);
fputs("Run 'attention COMMAND --help' for a command's options.\n",out);
return out==stdout?0:2;
}

/*:149*/
