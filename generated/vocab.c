/*10:*/
#line 609 "attention.w"

#include "attention.h"
#include <stdlib.h> 
#include <string.h> 
#include <errno.h> 
#include <utf8proc.h> 
/*11:*/
#line 627 "attention.w"

static uint32_t word_hash(const char*w)
{
uint32_t h= 2166136261u;
for(;*w;w++){
h^= (uint8_t)*w;
h*= 16777619u;
}
return h;
}

/*:11*//*12:*/
#line 644 "attention.w"

static int*vocab_probe(const Vocab*v,const char*w)
{
/*13:*/
#line 652 "attention.w"

uint32_t mask= (uint32_t)v->nslot-1;
uint32_t i= word_hash(w)&mask;
while(v->slot[i]!=0&&strcmp(v->word[v->slot[i]-1],w)!=0)
i= (i+1)&mask;
return&v->slot[i];

/*:13*/
#line 647 "attention.w"

}

/*:12*//*15:*/
#line 670 "attention.w"

int vocab_find(const Vocab*v,const char*w)
{
int*s= vocab_probe(v,w);
return*s?*s-1:-1;
}

/*:15*//*16:*/
#line 680 "attention.w"

int vocab_add(Vocab*v,const char*w)
{
int*s= vocab_probe(v,w);
if(*s)return*s-1;
if(v->n==v->cap){
v->cap*= 2;
v->word= xrealloc(v->word,(size_t)v->cap*sizeof*v->word);
}
v->word[v->n]= xstrdup(w);
*s= ++v->n;
if(2*v->n> v->nslot)/*17:*/
#line 696 "attention.w"

{
free(v->slot);
v->nslot*= 2;
v->slot= xcalloc((size_t)v->nslot,sizeof*v->slot);
for(int k= 0;k<v->n;k++)*vocab_probe(v,v->word[k])= k+1;
}

/*:17*/
#line 691 "attention.w"

return v->n-1;
}

/*:16*//*18:*/
#line 705 "attention.w"

void vocab_init(Vocab*v)
{
v->n= 0;
v->cap= 16;
v->word= xcalloc((size_t)v->cap,sizeof*v->word);
v->nslot= 32;
v->slot= xcalloc((size_t)v->nslot,sizeof*v->slot);
vocab_add(v,"<SOS>");
vocab_add(v,"<EOS>");
}

void vocab_free(Vocab*v)
{
for(int k= 0;k<v->n;k++)free(v->word[k]);
free(v->word);
free(v->slot);
v->word= NULL;
v->slot= NULL;
v->n= v->cap= v->nslot= 0;
}

/*:18*//*19:*/
#line 729 "attention.w"

void vocab_add_sentence(Vocab*v,const char*s)
{
char word[MAX_WORD_BYTES];
while(*s){
size_t k= strcspn(s," ");
if(k>=sizeof word)k= sizeof word-1;
memcpy(word,s,k);
word[k]= '\0';
if(k> 0)vocab_add(v,word);
s+= strcspn(s," ");
if(*s==' ')s++;
}
}

/*:19*//*21:*/
#line 759 "attention.w"

int tokenize(const Vocab*v,const char*s,int*ids,int max,
const char*where,const char*language)
{
char word[MAX_WORD_BYTES];
int n= 0;
while(*s){
size_t k= strcspn(s," ");
if(k>=sizeof word)
return kit_fail("%s: a word of %zu bytes is longer than the %d the kit reads",
where,k,MAX_WORD_BYTES-1);
memcpy(word,s,k);
word[k]= '\0';
s+= k;
if(*s==' ')s++;
if(k> 0)/*22:*/
#line 780 "attention.w"

{
int id= vocab_find(v,word);
if(id<0)
return kit_fail("%s: the word \"%s\" is not in the model's %s vocabulary",
where,word,language);
if(n==max)
return kit_fail("%s: the sentence has more than %d words, the most this model reads",
where,max);
ids[n++]= id;
}

/*:22*/
#line 774 "attention.w"

}
return n;
}

/*:21*/
#line 615 "attention.w"

/*31:*/
#line 905 "attention.w"

typedef struct{char*s;size_t n,cap;int pending;}Out;

static void out_put(Out*o,char c)
{
if(o->n+3> o->cap){
o->cap= 2*o->cap+16;
o->s= xrealloc(o->s,o->cap);
}
if(o->pending&&o->n> 0)o->s[o->n++]= ' ';
o->pending= 0;
o->s[o->n++]= c;
}

/*:31*//*32:*/
#line 922 "attention.w"

char*normalize_sentence(const char*s,size_t len,size_t*bad)
{
Out o= {xcalloc(len+16,1),0,len+16,0};
size_t i= 0;
while(i<len){
utf8proc_int32_t c;
utf8proc_ssize_t k= utf8proc_iterate((const utf8proc_uint8_t*)s+i,
(utf8proc_ssize_t)(len-i),&c);
if(k<=0||c==0){
free(o.s);
if(bad)*bad= i;
return NULL;
}
i+= (size_t)k;
/*33:*/
#line 947 "attention.w"

utf8proc_int32_t piece[16];
int boundclass= 0;
utf8proc_ssize_t np= utf8proc_decompose_char(utf8proc_tolower(c),piece,16,
UTF8PROC_DECOMPOSE,&boundclass);
for(utf8proc_ssize_t j= 0;j<np&&j<16;j++){
utf8proc_int32_t d= piece[j];
if(utf8proc_category(d)==UTF8PROC_CATEGORY_MN)continue;
if((d>='a'&&d<='z')||(d>='A'&&d<='Z'))out_put(&o,(char)d);
else if(d=='.'||d=='!'||d=='?'){
o.pending= 1;
out_put(&o,(char)d);
}else o.pending= 1;
}

/*:33*/
#line 937 "attention.w"

}
o.s[o.n]= '\0';
return o.s;
}

/*:32*/
#line 616 "attention.w"

/*24:*/
#line 799 "attention.w"

static const char*const seed_pairs[][2]= {
{"i am a student","je suis etudiant"},
{"he is a teacher","il est professeur"},
{"she is a doctor","elle est medecin"},
{"we are engineers","nous sommes ingenieurs"},
{"they are artists","ils sont artistes"}};

/*:24*//*26:*/
#line 822 "attention.w"

static void pairs_push(PairList*pl,char*src,char*tgt,int line)
{
if(pl->n==pl->cap){
pl->cap= pl->cap?2*pl->cap:64;
pl->pair= xrealloc(pl->pair,(size_t)pl->cap*sizeof*pl->pair);
}
pl->pair[pl->n++]= (Pair){src,tgt,line};
}

/*:26*//*27:*/
#line 834 "attention.w"

void pairs_seed(PairList*pl)
{
*pl= (PairList){0};
pl->origin= xstrdup("seed");
for(size_t k= 0;k<sizeof seed_pairs/sizeof seed_pairs[0];k++)
pairs_push(pl,xstrdup(seed_pairs[k][0]),xstrdup(seed_pairs[k][1]),0);
pl->lines_read= pl->n;
}

void pairs_free(PairList*pl)
{
for(int k= 0;k<pl->n;k++){
free(pl->pair[k].src);
free(pl->pair[k].tgt);
}
free(pl->pair);
free(pl->origin);
*pl= (PairList){0};
}

/*:27*//*28:*/
#line 858 "attention.w"

void pairs_vocabularies(const PairList*pl,Vocab*vin,Vocab*vout)
{
vocab_init(vin);
vocab_init(vout);
for(int k= 0;k<pl->n;k++){
vocab_add_sentence(vin,pl->pair[k].src);
vocab_add_sentence(vout,pl->pair[k].tgt);
}
}

/*:28*//*37:*/
#line 999 "attention.w"

static int count_words(const char*s)
{
int n= *s?1:0;
for(;*s;s++)n+= *s==' ';
return n;
}

static int keep_pair(const char*en,const char*fr,int filter,int max_length)
{
static const char*const prefixes[]= {"i am ","i m ","he is","he s ",
"she is","she s ","you are","you re ","we are","we re ",
"they are","they re "};
if(!*en)return 0;
if(count_words(en)>=max_length||count_words(fr)>=max_length)return 0;
if(filter==FILTER_LENGTH)return 1;
for(size_t k= 0;k<sizeof prefixes/sizeof prefixes[0];k++)
if(strncmp(en,prefixes[k],strlen(prefixes[k]))==0)return 1;
return 0;
}

/*:37*//*38:*/
#line 1021 "attention.w"

int pairs_read(PairList*pl,const char*path,int filter,int max_length)
{
*pl= (PairList){0};
FILE*f= fopen(path,"rb");
if(!f)return kit_fail("%s: cannot open: %s",path,strerror(errno));
pl->origin= xstrdup(path);
char*line= NULL;
size_t cap= 0;
ssize_t len;
int lineno= 0,status= 0;
while((len= getline(&line,&cap,f))>=0){
lineno++;
/*40:*/
#line 1054 "attention.w"

while(len> 0&&(line[len-1]=='\n'||line[len-1]=='\r'))len--;
line[len]= '\0';
if(len==0)continue;
if(strlen(line)!=(size_t)len){
status= kit_fail("%s:%d: the line contains a NUL byte",path,lineno);
break;
}
char*tab= strchr(line,'\t');
if(!tab){
status= kit_fail("%s:%d: no tab between the English and the French sentence",
path,lineno);
break;
}
char*en= line,*fr= tab+1;
*tab= '\0';
char*tab2= strchr(fr,'\t');
if(tab2)*tab2= '\0';
if(!*en||!*fr){
status= kit_fail("%s:%d: the %s sentence is empty",path,lineno,
!*en?"English":"French");
break;
}

/*:40*/
#line 1034 "attention.w"

/*41:*/
#line 1079 "attention.w"

pl->lines_read++;
size_t bad= 0;
char*nen= normalize_sentence(en,strlen(en),&bad);
if(!nen){
status= kit_fail("%s:%d: invalid UTF-8 in the English sentence at byte %zu",
path,lineno,bad+1);
break;
}
char*nfr= normalize_sentence(fr,strlen(fr),&bad);
if(!nfr){
free(nen);
status= kit_fail("%s:%d: invalid UTF-8 in the French sentence at byte %zu",
path,lineno,(size_t)(fr-line)+bad+1);
break;
}
if(keep_pair(nen,nfr,filter,max_length))pairs_push(pl,nen,nfr,lineno);
else{
free(nen);
free(nfr);
pl->dropped++;
}

/*:41*/
#line 1035 "attention.w"

}
/*39:*/
#line 1046 "attention.w"

if(status==0&&ferror(f))
status= kit_fail("%s: read error after line %d",path,lineno);
if(status==0&&pl->n==0)
status= kit_fail("%s: no pair of its %d lines passes the %s filter",
path,lineno,filter==FILTER_TUTORIAL?"tutorial":"length");

/*:39*/
#line 1037 "attention.w"

free(line);
fclose(f);
if(status)pairs_free(pl);
return status;
}

/*:38*//*44:*/
#line 1121 "attention.w"

int make_examples(const PairList*pl,const Vocab*vin,const Vocab*vout,
int max_length,int append_eos,Example**out)
{
if(max_length> DEFAULT_MAX_LENGTH*4)
return kit_fail("max_length %d is larger than the %d this build supports",
max_length,DEFAULT_MAX_LENGTH*4);
Example*ex= xcalloc((size_t)pl->n,sizeof*ex);
char where[600];
for(int k= 0;k<pl->n;k++){
if(pl->pair[k].line)snprintf(where,sizeof where,"%.500s:%d",pl->origin,pl->pair[k].line);
else snprintf(where,sizeof where,"%.500s pair %d",pl->origin,k+1);
/*45:*/
#line 1142 "attention.w"

int n= tokenize(vin,pl->pair[k].src,ex[k].src,max_length,where,"English");
int m= n<0?-1:tokenize(vout,pl->pair[k].tgt,ex[k].tgt,
max_length-(append_eos?1:0),where,"French");
if(n==0)kit_fail("%s: the English sentence has no words",where);
else if(m==0&&!append_eos)
kit_fail("%s: the French sentence has no words, and without <EOS> "
"there is nothing to learn from it",where);
if(n<=0||m<0||(m==0&&!append_eos)){
free(ex);
return-1;
}
if(append_eos)ex[k].tgt[m++]= EOS_TOKEN;
ex[k].src_len= n;
ex[k].tgt_len= m;

/*:45*/
#line 1133 "attention.w"

}
*out= ex;
return 0;
}

/*:44*//*158:*/
#line 3064 "attention.w"

static void tally_words(Vocab*v,int**count,const char*s)
{
char w[MAX_WORD_BYTES];
while(*s){
size_t k= strcspn(s," ");
if(k> 0&&k<sizeof w){
memcpy(w,s,k);
w[k]= '\0';
int id= vocab_find(v,w);
if(id<0){
id= vocab_add(v,w);
*count= xrealloc(*count,(size_t)v->n*sizeof(int));
(*count)[id]= 0;
}
(*count)[id]++;
}
s+= k+(s[k]==' ');
}
}

/*:158*//*159:*/
#line 3087 "attention.w"

static void vocab_with_count(Vocab*out,const PairList*pl,int side,int min_count)
{
Vocab all;
int*count= NULL;
vocab_init(&all);
vocab_init(out);
vocab_add(out,"<PAD>");
vocab_add(out,"<UNK>");
for(int k= 0;k<pl->n;k++)
tally_words(&all,&count,side?pl->pair[k].tgt:pl->pair[k].src);
for(int id= 2;id<all.n;id++)
if(count[id]>=min_count&&vocab_find(out,all.word[id])<0)
vocab_add(out,all.word[id]);
free(count);
vocab_free(&all);
}

void pairs_vocabularies_unk(const PairList*pl,int min_count,Vocab*vin,Vocab*vout)
{
vocab_with_count(vin,pl,0,min_count);
vocab_with_count(vout,pl,1,min_count);
}

/*:159*//*160:*/
#line 3115 "attention.w"

int tokenize_unk(const Vocab*v,const char*s,int*ids,int max,int*unknown)
{
char w[MAX_WORD_BYTES];
int n= 0;
while(*s){
size_t k= strcspn(s," ");
if(k>=sizeof w)return-1;
memcpy(w,s,k);
w[k]= '\0';
s+= k+(s[k]==' ');
if(k==0)continue;
if(n==max)return-1;
int id= vocab_find(v,w);
if(id<0){
id= UNK_TOKEN;
if(unknown)(*unknown)++;
}
ids[n++]= id;
}
return n;
}

/*:160*//*161:*/
#line 3139 "attention.w"

int make_examples_unk(const PairList*pl,const Vocab*vin,const Vocab*vout,
int max_length,Example**out)
{
Example*ex= xcalloc((size_t)(pl->n?pl->n:1),sizeof*ex);
for(int k= 0;k<pl->n;k++){
int n= tokenize_unk(vin,pl->pair[k].src,ex[k].src,max_length-1,NULL);
int m= tokenize_unk(vout,pl->pair[k].tgt,ex[k].tgt,max_length-1,NULL);
if(n<=0||m<0){
free(ex);
return kit_fail("%s:%d: the %s sentence has %s",pl->origin,pl->pair[k].line,
n<=0?"English":"French",n==0?"no words":
"more words than the model's max_length allows");
}
ex[k].src[n++]= EOS_TOKEN;
ex[k].tgt[m++]= EOS_TOKEN;
ex[k].src_len= n;
ex[k].tgt_len= m;
}
*out= ex;
return 0;
}

/*:161*/
#line 617 "attention.w"


/*:10*/
