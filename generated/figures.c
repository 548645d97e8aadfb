/*421:*/
#line 8154 "attention.w"

#include "attention.h"
#include <stdlib.h> 
#include <string.h> 
#include <errno.h> 
#include <unistd.h> 
#include <sys/stat.h> 
#include <cairo.h> 
#include <cairo-pdf.h> 
#include <cairo-svg.h> 
#include <strings.h> 
#include <time.h> 
#include <utf8proc.h> 
/*423:*/
#line 8224 "attention.w"

const Colormap colormap_bone= {"bone",{3,4,3},
{{0.0,0.746032,1.0},{0.0,0.365079,0.746032,1.0},{0.0,0.365079,1.0}},
{{0.0,0.652778,1.0},{0.0,0.319444,0.777778,1.0},{0.0,0.444444,1.0}}};

/*:423*//*424:*/
#line 8237 "attention.w"

#define B8(b) ((b) / 255.0)
#define EIGHTHS {0.0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1.0}
const Colormap colormap_ylorrd= {"ylorrd",{9,9,9},{EIGHTHS,EIGHTHS,EIGHTHS},
{{B8(255),B8(255),B8(254),B8(254),B8(253),B8(252),B8(227),B8(189),B8(128)},
{B8(255),B8(237),B8(217),B8(178),B8(141),B8(78),B8(26),B8(0),B8(0)},
{B8(204),B8(160),B8(118),B8(76),B8(60),B8(42),B8(28),B8(38),B8(38)}}};

/*:424*/
#line 8167 "attention.w"

/*432:*/
#line 8366 "attention.w"

typedef struct{
unsigned char*p;
size_t n,cap;
}Buf;

static void buf_add(Buf*b,const void*s,size_t n)
{
if(b->n+n+1> b->cap){
b->cap= 2*(b->n+n+1);
b->p= xrealloc(b->p,b->cap);
}
memcpy(b->p+b->n,s,n);
b->n+= n;
b->p[b->n]= 0;
}

/*:432*//*433:*/
#line 8385 "attention.w"

typedef struct{
cairo_t*cr;
Buf*svg_text;
}Canvas;

typedef struct{
double size;
int bold;
}FigFont;

/*:433*//*434:*/
#line 8401 "attention.w"

static void set_font(cairo_t*cr,FigFont f)
{
cairo_select_font_face(cr,"DejaVu Sans",CAIRO_FONT_SLANT_NORMAL,
f.bold?CAIRO_FONT_WEIGHT_BOLD:CAIRO_FONT_WEIGHT_NORMAL);
cairo_set_font_size(cr,f.size);
}

static void no_hinting(cairo_t*cr)
{
cairo_font_options_t*fo= cairo_font_options_create();
cairo_font_options_set_hint_metrics(fo,CAIRO_HINT_METRICS_OFF);
cairo_font_options_set_hint_style(fo,CAIRO_HINT_STYLE_NONE);
cairo_set_font_options(cr,fo);
cairo_font_options_destroy(fo);
}

/*:434*//*435:*/
#line 8420 "attention.w"

static cairo_t*measurer(void)
{
static cairo_t*cr;
if(!cr){
cairo_surface_t*s= cairo_image_surface_create(CAIRO_FORMAT_ARGB32,1,1);
cr= cairo_create(s);
cairo_surface_destroy(s);
no_hinting(cr);
}
return cr;
}

/*:435*//*436:*/
#line 8436 "attention.w"

static double text_width(FigFont f,const char*s)
{
cairo_text_extents_t te;
set_font(measurer(),f);
cairo_text_extents(measurer(),s,&te);
return te.x_advance;
}

static void font_metrics(FigFont f,double*ascent,double*descent)
{
cairo_font_extents_t fe;
set_font(measurer(),f);
cairo_font_extents(measurer(),&fe);
*ascent= fe.ascent;
*descent= fe.descent;
}

/*:436*//*437:*/
#line 8460 "attention.w"

#define ELLIPSIS "\xe2\x80\xa6" 
static char*fit_text(const char*s,FigFont f,double maxw)
{
size_t len= strlen(s),k= 0,cut= 0;
char*t= xcalloc(len+sizeof ELLIPSIS,1),*o= t;
while(k<len){
utf8proc_int32_t c;
utf8proc_ssize_t m= utf8proc_iterate((const utf8proc_uint8_t*)s+k,
(utf8proc_ssize_t)(len-k),&c);
if(m<1)*o++= '?',k++;
else memcpy(o,s+k,(size_t)m),o+= m,k+= (size_t)m;
}
double ew= text_width(f,ELLIPSIS);
if(text_width(f,t)<=maxw)return t;
/*438:*/
#line 8480 "attention.w"

size_t n= strlen(t);
char*u= xcalloc(n+sizeof ELLIPSIS,1);
for(size_t j= 1;j<=n;j++){
if((t[j]&0xc0)==0x80)continue;
memcpy(u,t,j);
u[j]= 0;
if(text_width(f,u)+ew> maxw)break;
cut= j;
}
memcpy(u,t,cut);
strcpy(u+cut,ELLIPSIS);
free(t);
t= u;

/*:438*/
#line 8475 "attention.w"

return t;
}

/*:437*//*439:*/
#line 8498 "attention.w"

static void svg_text(Buf*b,FigFont f,double x,double y,double angle,const char*s);

static void canvas_text(Canvas*cv,FigFont f,double x,double y,double angle,
const char*s)
{
if(cv->svg_text){
svg_text(cv->svg_text,f,x,y,angle,s);
return;
}
cairo_t*cr= cv->cr;
cairo_save(cr);
cairo_translate(cr,x,y);
cairo_rotate(cr,angle*M_PI/180.0);
set_font(cr,f);
cairo_set_source_rgb(cr,0.0,0.0,0.0);
cairo_move_to(cr,0.0,0.0);
cairo_show_text(cr,s);
cairo_restore(cr);
}

/*:439*//*440:*/
#line 8521 "attention.w"

static void svg_text(Buf*b,FigFont f,double x,double y,double angle,const char*s)
{
char head[320];
int n= snprintf(head,sizeof head,"<text transform=\"translate(%.3f %.3f) rotate(%g)\" "
"font-family=\"DejaVu Sans, sans-serif\" font-size=\"%g\"%s textLength=\"%.3f\" "
"lengthAdjust=\"spacingAndGlyphs\" xml:space=\"preserve\" fill=\"#000\">",x,y,angle,
f.size,f.bold?" font-weight=\"bold\"":"",text_width(f,s));
buf_add(b,head,(size_t)n);
for(const char*p= s;*p;p++){
const char*e= *p=='<'?"&lt;":*p=='>'?"&gt;":*p=='&'?"&amp;":
*p=='"'?"&quot;":*p=='\''?"&apos;":NULL;
if(e)buf_add(b,e,strlen(e));
else buf_add(b,p,1);
}
buf_add(b,"</text>\n",8);
}

/*:440*//*441:*/
#line 8540 "attention.w"

static void fill_box(cairo_t*cr,double x,double y,double w,double h,
const double rgb[3])
{
cairo_set_source_rgb(cr,rgb[0],rgb[1],rgb[2]);
cairo_rectangle(cr,x,y,w,h);
cairo_fill(cr);
}

static void line(cairo_t*cr,double x0,double y0,double x1,double y1,
double width,double grey)
{
cairo_set_source_rgb(cr,grey,grey,grey);
cairo_set_line_width(cr,width);
cairo_move_to(cr,x0,y0);
cairo_line_to(cr,x1,y1);
cairo_stroke(cr);
}

/*:441*//*442:*/
#line 8572 "attention.w"

#define FIG_TINY 1e-280 
#define FIG_HUGE 1e300 
static double nice_step(double lo,double hi,int most,int*decimals)
{
static const double mant[]= {1.0,2.0,2.5,5.0,10.0};
double raw= hi/(most-1)-lo/(most-1);
if(!(raw>=FIG_TINY/16&&raw<=FIG_HUGE))raw= 1.0;
double mag= pow(10.0,floor(log10(raw))),step= mag;
for(int k= 0;k<5;k++)
if(mant[k]*mag>=raw*(1.0-1e-9)){
step= mant[k]*mag;
break;
}
int d= (int)-floor(log10(step)+1e-9);
if(fabs(step/pow(10.0,-d)-2.5)<1e-6)d++;
*decimals= d> 0?d:0;
return step;
}

/*:442*//*443:*/
#line 8593 "attention.w"

static int nice_ticks(double lo,double hi,int most,double*first,double*step,
int*decimals)
{
*step= nice_step(lo,hi,most,decimals);
*first= ceil(lo/ *step-1e-6)**step;
double n= floor(hi/ *step-*first/ *step+1e-6)+1;
return n> 0?(n<1000?(int)n:1000):0;
}

/*:443*//*444:*/
#line 8606 "attention.w"

static void widen_range(double*lo,double*hi)
{
if(*hi-*lo<=1e-12*fmax(fabs(*lo),fabs(*hi))||*hi-*lo<FIG_TINY){
double d= fabs(*lo)<1e3*FIG_TINY?0.1:0.1*fabs(*lo);
*lo-= d,*hi+= d;
}
}

/*:444*//*445:*/
#line 8626 "attention.w"

#define PAGE_W 720.0
#define PAGE_H 432.0
#define MARGIN 10.8
#define TICK_LEN 3.5
#define TICK_PAD 3.5
#define LABEL_PAD 4.0
#define TITLE_PAD 15.0
#define CBAR_GAP 20.0
#define LABEL_MAX 130.0 
static const FigFont tick_font= {10.0,0};
static const FigFont axis_font= {12.0,1};
static const FigFont title_font= {13.0,1};

/*:445*//*446:*/
#line 8647 "attention.w"

static double turned_depth(FigFont f,const char*s)
{
double asc,desc;
font_metrics(f,&asc,&desc);
return(asc+text_width(f,s)+desc)*M_SQRT1_2;
}

static void turned_label(Canvas*cv,FigFont f,double x,double y,const char*s)
{
double asc,desc,a= text_width(f,s);
font_metrics(f,&asc,&desc);
canvas_text(cv,f,x-(a+desc)*M_SQRT1_2,y+(asc+a)*M_SQRT1_2,-45.0,s);
}

/*:446*//*447:*/
#line 8665 "attention.w"

typedef struct{
char**row,**col,*title;
FigFont row_font,col_font;
double vmin,vmax;
int nticks,decimals;
double first,step;
}HeatmapTexts;

/*:447*//*448:*/
#line 8675 "attention.w"

static void fit_labels(const Heatmap*h,HeatmapTexts*t)
{
for(int i= 0;i<h->rows;i++){
free(t->row[i]);
t->row[i]= fit_text(h->row_words[i],t->row_font,LABEL_MAX);
}
for(int j= 0;j<h->cols;j++){
free(t->col[j]);
t->col[j]= fit_text(h->col_words[j],t->col_font,LABEL_MAX);
}
}

/*:448*//*449:*/
#line 8690 "attention.w"

static void heatmap_texts(const Heatmap*h,HeatmapTexts*t)
{
t->row= xcalloc((size_t)h->rows,sizeof(char*));
t->col= xcalloc((size_t)h->cols,sizeof(char*));
t->row_font= t->col_font= tick_font;
fit_labels(h,t);
t->title= fit_text(h->title?h->title:"",title_font,PAGE_W-2*MARGIN);
/*451:*/
#line 8715 "attention.w"

double lo= INFINITY,hi= -INFINITY;
for(int i= 0;i<h->rows;i++)
for(int j= 0;j<h->cols;j++){
double v= h->w[(size_t)i*h->stride+j];
if(isfinite(v))lo= v<lo?v:lo,hi= v> hi?v:hi;
}
if(h->vmin<h->vmax)lo= h->vmin,hi= h->vmax;
else if(!(lo<=hi))lo= 0.0,hi= 1.0;
lo= fmax(lo,-FIG_HUGE),hi= fmin(hi,FIG_HUGE);
if(lo> hi)lo= hi;
widen_range(&lo,&hi);
t->vmin= lo,t->vmax= hi;
t->nticks= nice_ticks(lo,hi,8,&t->first,&t->step,&t->decimals);

/*:451*/
#line 8698 "attention.w"

}

/*:449*//*450:*/
#line 8702 "attention.w"

static void heatmap_texts_free(const Heatmap*h,HeatmapTexts*t)
{
for(int i= 0;i<h->rows;i++)free(t->row[i]);
for(int j= 0;j<h->cols;j++)free(t->col[j]);
free(t->row);
free(t->col);
free(t->title);
}

/*:450*//*470:*/
#line 9063 "attention.w"

static cairo_status_t buf_write(void*closure,const unsigned char*data,unsigned int n)
{
buf_add(closure,data,n);
return CAIRO_STATUS_SUCCESS;
}

/*:470*//*471:*/
#line 9081 "attention.w"

static void pdf_fix_date(cairo_surface_t*s)
{
const char*e= getenv("SOURCE_DATE_EPOCH");
char*end;
time_t t= 0;
if(e&&*e){
long long v= strtoll(e,&end,10);
if(!*end&&v>=0)t= (time_t)v;
}
struct tm tm;
char date[32];
gmtime_r(&t,&tm);
strftime(date,sizeof date,"%Y-%m-%dT%H:%M:%SZ",&tm);
cairo_pdf_surface_restrict_to_version(s,CAIRO_PDF_VERSION_1_4);
cairo_pdf_surface_set_metadata(s,CAIRO_PDF_METADATA_CREATE_DATE,date);
}

/*:471*//*479:*/
#line 9248 "attention.w"

#define CURVE_W 576.0
#define CURVE_H 360.0
typedef struct{
double lo,hi;
int log;
double from,to;
}Axis;

static double axis_pos(const Axis*a,double v)
{
double t= a->log?(log10(v)-log10(a->lo))/(log10(a->hi)-log10(a->lo)):
(v-a->lo)/(a->hi-a->lo);
return a->from+t*(a->to-a->from);
}

/*:479*//*480:*/
#line 9270 "attention.w"

static void axis_range(Axis*a,double lo,double hi,int allow_log)
{
a->log= allow_log&&lo>=1.0/FIG_HUGE&&hi<=FIG_HUGE&&hi/lo> 100.0;
if(a->log){
a->lo= pow(10.0,floor(log10(lo)+1e-9));
a->hi= pow(10.0,ceil(log10(hi)-1e-9));
return;
}
widen_range(&lo,&hi);
int dec;
double step= nice_step(lo,hi,9,&dec);
a->lo= floor(lo/step+1e-9)*step;
a->hi= ceil(hi/step-1e-9)*step;
}

/*:480*//*481:*/
#line 9288 "attention.w"

static void tick_label(char*s,size_t size,double v,int is_log,int decimals)
{
static const char*sup[]= {"\xe2\x81\xb0","\xc2\xb9","\xc2\xb2","\xc2\xb3",
"\xe2\x81\xb4","\xe2\x81\xb5","\xe2\x81\xb6","\xe2\x81\xb7","\xe2\x81\xb8",
"\xe2\x81\xb9"};
if(!is_log){
snprintf(s,size,"%.*f",decimals,v+0.0);
return;
}
int k= (int)lround(log10(v));
char digits[16];
snprintf(digits,sizeof digits,"%d",k<0?-k:k);
snprintf(s,size,"10%s",k<0?"\xe2\x81\xbb":"");
for(char*d= digits;*d;d++)strncat(s,sup[*d-'0'],size-strlen(s)-1);
}

/*:481*//*482:*/
#line 9308 "attention.w"

#define MAX_TICKS 200
typedef struct{
int n;
double v[MAX_TICKS];
int major[MAX_TICKS];
char label[MAX_TICKS][24];
}Ticks;

static void axis_ticks(const Axis*a,Ticks*t)
{
t->n= 0;
if(a->log){
/*483:*/
#line 9336 "attention.w"

int d0= (int)lround(log10(a->lo)),d1= (int)lround(log10(a->hi));
int every= d1-d0> 8?(d1-d0+7)/8:1;
for(int d= d0;d<=d1;d++)
for(int m= 1;m<=9&&t->n<MAX_TICKS;m++){
double v= m*pow(10.0,d);
if(v> a->hi*(1.0+1e-9))break;
t->v[t->n]= v;
t->major[t->n]= m==1&&(d-d0)%every==0;
if(t->major[t->n])tick_label(t->label[t->n],sizeof t->label[0],v,1,0);
else t->label[t->n][0]= 0;
t->n++;
}

/*:483*/
#line 9321 "attention.w"

return;
}
int dec;
double first,step;
int n= nice_ticks(a->lo,a->hi,9,&first,&step,&dec);
for(int k= 0;k<n&&t->n<MAX_TICKS;k++,t->n++){
t->v[t->n]= first+k*step;
t->major[t->n]= 1;
tick_label(t->label[t->n],sizeof t->label[0],t->v[t->n],0,dec);
}
}

/*:482*/
#line 8168 "attention.w"

/*425:*/
#line 8261 "attention.w"

void colormap_color(const Colormap*cm,double w,double rgb[3])
{
/*426:*/
#line 8268 "attention.w"

if(!(w> 0.0))w= 0.0;
if(w> 1.0)w= 1.0;
for(int ch= 0;ch<3;ch++){
const double*x= cm->x[ch],*v= cm->v[ch];
int k= 0;
while(k+2<cm->n[ch]&&w> x[k+1])k++;
double t= (w-x[k])/(x[k+1]-x[k]);
rgb[ch]= v[k]+t*(v[k+1]-v[k]);
}

/*:426*/
#line 8264 "attention.w"

}

/*:425*//*428:*/
#line 8289 "attention.w"

const Colormap*colormap_find(const char*name)
{
if(strcmp(name,"bone")==0)return&colormap_bone;
if(strcmp(name,"ylorrd")==0||strcmp(name,"YlOrRd")==0)return&colormap_ylorrd;
return NULL;
}

/*:428*//*452:*/
#line 8732 "attention.w"

static int layout_heatmap(const Heatmap*h,const HeatmapTexts*t,HeatmapLayout*lay)
{
double asc,desc,lab,tick_h,xdepth= 0.0,ywidth= 0.0,cbw= 0.0;
font_metrics(axis_font,&asc,&desc);
lab= asc+desc;
font_metrics(tick_font,&asc,&desc);
tick_h= asc+desc;
for(int j= 0;j<h->cols;j++)xdepth= fmax(xdepth,turned_depth(t->col_font,t->col[j]));
for(int i= 0;i<h->rows;i++)ywidth= fmax(ywidth,text_width(t->row_font,t->row[i]));
for(int k= 0;k<t->nticks;k++){
char s[32];
snprintf(s,sizeof s,"%.*f",t->decimals,t->first+k*t->step+0.0);
cbw= fmax(cbw,text_width(tick_font,s));
}
/*453:*/
#line 8756 "attention.w"

double title_asc,title_desc;
font_metrics(title_font,&title_asc,&title_desc);
double top= MARGIN+title_asc+title_desc+TITLE_PAD;
double bottom= MARGIN+lab+LABEL_PAD+xdepth+TICK_LEN+TICK_PAD;
double left= MARGIN+lab+LABEL_PAD+ywidth+TICK_LEN+TICK_PAD;
double ch= PAGE_H-top-bottom,cw= fmin(20.0,fmax(8.0,ch/20.0));
double right= MARGIN+tick_h+LABEL_PAD+cbw+TICK_PAD+TICK_LEN+cw+CBAR_GAP;
for(int pass= 0;pass<4;pass++){
double colw= (PAGE_W-left-right)/h->cols,over= 0.0;
for(int j= 0;j<h->cols;j++)
over= fmax(over,MARGIN-(left+(j+0.5)*colw-turned_depth(t->col_font,t->col[j])));
left+= over;
}
lay->width= PAGE_W,lay->height= PAGE_H;
lay->cells= (FigBox){left,top,PAGE_W-left-right,ch};
lay->colorbar= (FigBox){PAGE_W-right+CBAR_GAP,top,cw,ch};
lay->vmin= t->vmin,lay->vmax= t->vmax;

/*:453*/
#line 8747 "attention.w"

return lay->cells.w>=10.0&&lay->cells.h>=10.0?0:
kit_fail("heatmap: the labels leave no room for the cells");
}

/*:452*//*454:*/
#line 8784 "attention.w"

static int heatmap_prepare(const Heatmap*h,HeatmapTexts*t,HeatmapLayout*lay)
{
heatmap_texts(h,t);
for(int pass= 0;pass<3;pass++){
if(layout_heatmap(h,t,lay)){
heatmap_texts_free(h,t);
return-1;
}
double rs= fmax(4.0,fmin(t->row_font.size,0.72*lay->cells.h/h->rows));
double cs= fmax(4.0,fmin(t->col_font.size,0.6*lay->cells.w/h->cols));
if(pass==2||(rs==t->row_font.size&&cs==t->col_font.size))break;
t->row_font.size= rs,t->col_font.size= cs;
fit_labels(h,t);
}
return 0;
}

/*:454*//*455:*/
#line 8804 "attention.w"

static int heatmap_check(const Heatmap*h)
{
if(h->rows<1||h->cols<1||h->stride<h->cols||!h->w||!h->cm
||!h->row_words||!h->col_words)
return kit_fail("heatmap: %d x %d weights: nothing to draw",h->rows,h->cols);
return 0;
}

int heatmap_layout(const Heatmap*h,HeatmapLayout*lay)
{
HeatmapTexts t;
if(heatmap_check(h)||heatmap_prepare(h,&t,lay))return-1;
heatmap_texts_free(h,&t);
return 0;
}

/*:455*//*457:*/
#line 8828 "attention.w"

static void draw_heatmap(Canvas*cv,const Heatmap*h,const HeatmapTexts*t,
const HeatmapLayout*lay)
{
cairo_t*cr= cv->cr;
const FigBox*c= &lay->cells;
double colw= c->w/h->cols,rowh= c->h/h->rows,white[3]= {1.0,1.0,1.0};
fill_box(cr,0.0,0.0,lay->width,lay->height,white);
for(int i= 0;i<h->rows;i++)
for(int j= 0;j<h->cols;j++){
double rgb[3],v= h->w[(size_t)i*h->stride+j];
colormap_color(h->cm,(v-lay->vmin)/(lay->vmax-lay->vmin),rgb);
fill_box(cr,c->x+j*colw,c->y+i*rowh,colw,rowh,rgb);
}
/*458:*/
#line 8852 "attention.w"

int seaborn= h->style==HEATMAP_SEABORN;
for(int j= seaborn?0:1;j<=(seaborn?h->cols:h->cols-1);j++)
line(cr,c->x+j*colw,c->y,c->x+j*colw,c->y+c->h,0.5,0.5);
for(int i= seaborn?0:1;i<=(seaborn?h->rows:h->rows-1);i++)
line(cr,c->x,c->y+i*rowh,c->x+c->w,c->y+i*rowh,0.5,0.5);
if(!seaborn){
cairo_set_source_rgb(cr,0.0,0.0,0.0);
cairo_set_line_width(cr,0.8);
cairo_rectangle(cr,c->x,c->y,c->w,c->h);
cairo_stroke(cr);
}
for(int j= 0;j<h->cols;j++)
line(cr,c->x+(j+0.5)*colw,c->y+c->h,c->x+(j+0.5)*colw,
c->y+c->h+TICK_LEN,0.8,0.0);
for(int i= 0;i<h->rows;i++)
line(cr,c->x,c->y+(i+0.5)*rowh,c->x-TICK_LEN,c->y+(i+0.5)*rowh,0.8,0.0);

/*:458*/
#line 8842 "attention.w"

/*459:*/
#line 8875 "attention.w"

const FigBox*b= &lay->colorbar;
cairo_pattern_t*grad= cairo_pattern_create_linear(0.0,b->y+b->h,0.0,b->y);
for(int ch= 0;ch<3;ch++)
for(int k= 0;k<h->cm->n[ch];k++){
double rgb[3],x= h->cm->x[ch][k];
colormap_color(h->cm,x,rgb);
cairo_pattern_add_color_stop_rgb(grad,x,rgb[0],rgb[1],rgb[2]);
}
cairo_set_source(cr,grad);
cairo_rectangle(cr,b->x,b->y,b->w,b->h);
cairo_fill(cr);
cairo_pattern_destroy(grad);
/*460:*/
#line 8893 "attention.w"

if(!seaborn){
cairo_set_source_rgb(cr,0.0,0.0,0.0);
cairo_set_line_width(cr,0.8);
cairo_rectangle(cr,b->x,b->y,b->w,b->h);
cairo_stroke(cr);
}
double asc,desc;
font_metrics(tick_font,&asc,&desc);
for(int k= 0;k<t->nticks;k++){
double v= t->first+k*t->step+0.0;
double y= b->y+b->h*(1.0-(v-lay->vmin)/(lay->vmax-lay->vmin));
char s[32];
snprintf(s,sizeof s,"%.*f",t->decimals,v);
line(cr,b->x+b->w,y,b->x+b->w+TICK_LEN,y,0.8,0.0);
canvas_text(cv,tick_font,b->x+b->w+TICK_LEN+TICK_PAD,y+(asc-desc)/2,0.0,s);
}

/*:460*/
#line 8888 "attention.w"


/*:459*/
#line 8843 "attention.w"

/*461:*/
#line 8914 "attention.w"

double rasc,rdesc;
font_metrics(t->row_font,&rasc,&rdesc);
for(int i= 0;i<h->rows;i++)
canvas_text(cv,t->row_font,c->x-TICK_LEN-TICK_PAD-text_width(t->row_font,t->row[i]),
c->y+(i+0.5)*rowh+(rasc-rdesc)/2,0.0,t->row[i]);
for(int j= 0;j<h->cols;j++)
turned_label(cv,t->col_font,c->x+(j+0.5)*colw,c->y+c->h+TICK_LEN+TICK_PAD,
t->col[j]);
/*462:*/
#line 8934 "attention.w"

static const char*xtitle= "Input Words (English)",*ytitle= "Output Words (French)",
*ctitle= "Attention Weight";
double lasc,ldesc,xt= text_width(axis_font,xtitle),yt= text_width(axis_font,ytitle);
double ct= text_width(tick_font,ctitle);
font_metrics(axis_font,&lasc,&ldesc);
canvas_text(cv,axis_font,c->x+(c->w-xt)/2,lay->height-MARGIN-ldesc,0.0,xtitle);
canvas_text(cv,axis_font,MARGIN+lasc,c->y+(c->h+yt)/2,-90.0,ytitle);
if(seaborn)
canvas_text(cv,tick_font,lay->width-MARGIN-desc,b->y+(b->h+ct)/2,-90.0,ctitle);
else canvas_text(cv,tick_font,lay->width-MARGIN-asc,b->y+(b->h-ct)/2,90.0,ctitle);

/*:462*/
#line 8923 "attention.w"

double tw= text_width(title_font,t->title),tx= c->x+(c->w-tw)/2;
double tasc,tdesc;
font_metrics(title_font,&tasc,&tdesc);
tx= fmax(MARGIN,fmin(tx,lay->width-MARGIN-tw));
canvas_text(cv,title_font,tx,MARGIN+tasc,0.0,t->title);

/*:461*/
#line 8844 "attention.w"

}

/*:457*//*463:*/
#line 8948 "attention.w"

typedef struct{
const Heatmap*h;
HeatmapTexts t;
HeatmapLayout lay;
}HeatmapJob;

static void heatmap_job_draw(Canvas*cv,const void*job)
{
const HeatmapJob*j= job;
draw_heatmap(cv,j->h,&j->t,&j->lay);
}

static int heatmap_job_begin(HeatmapJob*j,const Heatmap*h)
{
j->h= h;
return heatmap_check(h)||heatmap_prepare(h,&j->t,&j->lay)?-1:0;
}

/*:463*//*465:*/
#line 8980 "attention.w"

int figure_format(const char*path)
{
const char*dot= strrchr(path,'.'),*slash= strrchr(path,'/');
if(dot&&(!slash||dot> slash)&&dot[1]){
if(strcasecmp(dot,".png")==0)return FIGURE_PNG;
if(strcasecmp(dot,".pdf")==0)return FIGURE_PDF;
if(strcasecmp(dot,".svg")==0)return FIGURE_SVG;
}
return kit_fail("%s: unknown figure format (the name must end in .png, .pdf or .svg)",path);
}

/*:465*//*466:*/
#line 8998 "attention.w"

int figure_check_path(const char*path)
{
if(figure_format(path)<0)return-1;
const char*slash= strrchr(path,'/');
char*dir= slash?xcalloc((size_t)(slash-path)+2,1):xstrdup(".");
if(slash)memcpy(dir,path,slash==path?1:(size_t)(slash-path));
struct stat st;
int status= 0;
if(stat(dir,&st)!=0||!S_ISDIR(st.st_mode))
status= kit_fail("%s: cannot write: the folder %s does not exist",path,dir);
else if(access(dir,W_OK)!=0)
status= kit_fail("%s: cannot write: the folder %s is not writable",path,dir);
else status= save_target_check(path);
free(dir);
return status;
}

/*:466*//*467:*/
#line 9019 "attention.w"

int write_file_atomic(const char*path,const void*data,size_t n)
{
if(save_target_check(path))return-1;
char*tmp= xcalloc(strlen(path)+16,1);
sprintf(tmp,"%s.tmp.XXXXXX",path);
int fd= mkstemp(tmp);
if(fd<0){
kit_fail("%s: cannot write: %s",path,strerror(errno));
free(tmp);
return-1;
}
mode_t mask= umask(0);
umask(mask);
fchmod(fd,0666&~mask);
/*468:*/
#line 9040 "attention.w"

const char*p= data;
size_t left= n;
int ok= 1;
while(ok&&left> 0){
ssize_t w= write(fd,p,left);
if(w<0&&errno==EINTR)continue;
if(w<=0)ok= 0;
else p+= w,left-= (size_t)w;
}
if(!ok)kit_fail("%s: cannot write: %s",path,strerror(errno));
if(close(fd)!=0&&ok)ok= 0,kit_fail("%s: cannot write: %s",path,strerror(errno));
if(ok&&save_target_check(path))ok= 0;
if(ok&&rename(tmp,path)!=0)ok= 0,kit_fail("%s: cannot write: %s",path,strerror(errno));
if(!ok)unlink(tmp);

/*:468*/
#line 9034 "attention.w"

free(tmp);
return ok?0:-1;
}

/*:467*//*472:*/
#line 9103 "attention.w"

typedef void(*DrawFn)(Canvas*cv,const void*job);

static int figure_draw(int format,double w,double h,DrawFn draw,const void*job,
Buf*out)
{
cairo_surface_t*s;
Buf text= {0};
if(format==FIGURE_PNG)
s= cairo_image_surface_create(CAIRO_FORMAT_ARGB32,(int)ceil(w*FIGURE_PNG_SCALE),
(int)ceil(h*FIGURE_PNG_SCALE));
else if(format==FIGURE_PDF){
s= cairo_pdf_surface_create_for_stream(buf_write,out,w,h);
pdf_fix_date(s);
}else s= cairo_svg_surface_create_for_stream(buf_write,out,w,h);
Canvas cv= {cairo_create(s),format==FIGURE_SVG?&text:NULL};
no_hinting(cv.cr);
if(format==FIGURE_PNG)cairo_scale(cv.cr,FIGURE_PNG_SCALE,FIGURE_PNG_SCALE);
draw(&cv,job);
/*473:*/
#line 9126 "attention.w"

cairo_status_t st= cairo_status(cv.cr);
cairo_destroy(cv.cr);
if(format==FIGURE_PNG&&st==CAIRO_STATUS_SUCCESS)
st= cairo_surface_write_to_png_stream(s,buf_write,out);
cairo_surface_finish(s);
if(st==CAIRO_STATUS_SUCCESS)st= cairo_surface_status(s);
cairo_surface_destroy(s);
if(format==FIGURE_SVG&&st==CAIRO_STATUS_SUCCESS){
const char*end= "</svg>";
size_t k= out->n;
while(k>=6&&memcmp(out->p+k-6,end,6)!=0)k--;
if(k<6)st= CAIRO_STATUS_WRITE_ERROR;
else{
Buf tail= {0};
buf_add(&tail,out->p+k-6,out->n-(k-6));
out->n= k-6;
if(text.n)buf_add(out,text.p,text.n);
buf_add(out,tail.p,tail.n);
free(tail.p);
}
}
free(text.p);
return st==CAIRO_STATUS_SUCCESS?0:kit_fail("cairo: %s",cairo_status_to_string(st));

/*:473*/
#line 9122 "attention.w"

}

/*:472*//*474:*/
#line 9156 "attention.w"

static int figure_save(const char*path,double w,double h,DrawFn draw,const void*job)
{
int format= figure_format(path);
if(format<0||figure_check_path(path))return-1;
Buf out= {0};
int status= figure_draw(format,w,h,draw,job,&out);
if(status==0)status= write_file_atomic(path,out.p,out.n);
else kit_fail("%s: %s",path,kit_error());
free(out.p);
return status;
}

/*:474*//*475:*/
#line 9172 "attention.w"

static int figure_image(double w,double h,double scale,DrawFn draw,const void*job,
FigImage*img)
{
cairo_surface_t*s= cairo_image_surface_create(CAIRO_FORMAT_ARGB32,(int)ceil(w*scale),
(int)ceil(h*scale));
Canvas cv= {cairo_create(s),NULL};
no_hinting(cv.cr);
cairo_scale(cv.cr,scale,scale);
draw(&cv,job);
cairo_destroy(cv.cr);
cairo_surface_flush(s);
cairo_status_t st= cairo_surface_status(s);
img->width= cairo_image_surface_get_width(s);
img->height= cairo_image_surface_get_height(s);
img->stride= cairo_image_surface_get_stride(s);
img->data= xcalloc((size_t)img->stride,(size_t)img->height);
if(st==CAIRO_STATUS_SUCCESS)
memcpy(img->data,cairo_image_surface_get_data(s),(size_t)img->stride*img->height);
cairo_surface_destroy(s);
return st==CAIRO_STATUS_SUCCESS?0:kit_fail("cairo: %s",cairo_status_to_string(st));
}

/*:475*//*476:*/
#line 9196 "attention.w"

int heatmap_save(const Heatmap*h,const char*path)
{
HeatmapJob j;
if(heatmap_job_begin(&j,h))return-1;
int status= figure_save(path,j.lay.width,j.lay.height,heatmap_job_draw,&j);
heatmap_texts_free(h,&j.t);
return status;
}

int heatmap_image(const Heatmap*h,double scale,FigImage*img,HeatmapLayout*lay)
{
HeatmapJob j;
if(heatmap_job_begin(&j,h))return-1;
int status= figure_image(j.lay.width,j.lay.height,scale,heatmap_job_draw,&j,img);
if(lay)*lay= j.lay;
heatmap_texts_free(h,&j.t);
return status;
}

/*:476*//*484:*/
#line 9353 "attention.w"

typedef struct{
const Curve*c;
Axis ax,ay;
Ticks tx,ty;
char*title,*xlabel,*ylabel;
}CurveJob;

static int curve_job_begin(CurveJob*j,const Curve*c)
{
if(c->n<1||!c->x||!c->y)return kit_fail("loss curve: no points to draw");
double x0= INFINITY,x1= -INFINITY,y0= INFINITY,y1= -INFINITY;
/*485:*/
#line 9381 "attention.w"

for(int k= 0;k<c->n;k++){
if(!isfinite(c->x[k])||!isfinite(c->y[k]))
return kit_fail("loss curve: point %d is not a finite number",k+1);
if(fabs(c->x[k])> FIG_HUGE||fabs(c->y[k])> FIG_HUGE)
return kit_fail("loss curve: point %d (%g, %g) is too large to draw (at most %g)",k+1,
c->x[k],c->y[k],FIG_HUGE);
x0= fmin(x0,c->x[k]),x1= fmax(x1,c->x[k]);
y0= fmin(y0,c->y[k]),y1= fmax(y1,c->y[k]);
}

/*:485*/
#line 9365 "attention.w"

j->c= c;
axis_range(&j->ax,x0>=0.0&&x0<=1.0?0.0:x0,x1,0);
axis_range(&j->ay,y0,y1,1);
axis_ticks(&j->ax,&j->tx);
axis_ticks(&j->ay,&j->ty);
j->title= fit_text(c->title?c->title:"",title_font,CURVE_W-2*MARGIN);
j->xlabel= fit_text(c->xlabel?c->xlabel:"",axis_font,CURVE_W-2*MARGIN);
j->ylabel= fit_text(c->ylabel?c->ylabel:"",axis_font,CURVE_H-2*MARGIN);
/*486:*/
#line 9394 "attention.w"

double asc,desc,lasc,ldesc,tasc,tdesc,yw= 0.0;
font_metrics(tick_font,&asc,&desc);
font_metrics(axis_font,&lasc,&ldesc);
font_metrics(title_font,&tasc,&tdesc);
for(int k= 0;k<j->ty.n;k++)yw= fmax(yw,text_width(tick_font,j->ty.label[k]));
double last= j->tx.n?text_width(tick_font,j->tx.label[j->tx.n-1])/2:0.0;
j->ax.from= MARGIN+lasc+ldesc+LABEL_PAD+yw+TICK_PAD+TICK_LEN;
j->ax.to= CURVE_W-MARGIN-last;
j->ay.from= CURVE_H-(MARGIN+lasc+ldesc+LABEL_PAD+asc+desc+TICK_PAD+TICK_LEN);
j->ay.to= MARGIN+tasc+tdesc+TITLE_PAD;

/*:486*/
#line 9374 "attention.w"

return 0;
}

/*:484*//*487:*/
#line 9409 "attention.w"

static void curve_job_draw(Canvas*cv,const void*job)
{
const CurveJob*j= job;
cairo_t*cr= cv->cr;
double white[3]= {1.0,1.0,1.0},x0= j->ax.from,x1= j->ax.to,y0= j->ay.from,
y1= j->ay.to;
fill_box(cr,0.0,0.0,CURVE_W,CURVE_H,white);
for(int k= 0;k<j->tx.n;k++)
line(cr,axis_pos(&j->ax,j->tx.v[k]),y0,axis_pos(&j->ax,j->tx.v[k]),y1,0.5,0.9);
for(int k= 0;k<j->ty.n;k++)
if(j->ty.major[k])
line(cr,x0,axis_pos(&j->ay,j->ty.v[k]),x1,axis_pos(&j->ay,j->ty.v[k]),0.5,0.9);
/*488:*/
#line 9427 "attention.w"

cairo_save(cr);
cairo_rectangle(cr,x0,y1,x1-x0,y0-y1);
cairo_clip(cr);
cairo_set_source_rgb(cr,0x1f/255.0,0x77/255.0,0xb4/255.0);
cairo_set_line_width(cr,1.5);
cairo_set_line_join(cr,CAIRO_LINE_JOIN_ROUND);
for(int k= 0;k<j->c->n;k++)
cairo_line_to(cr,axis_pos(&j->ax,j->c->x[k]),axis_pos(&j->ay,j->c->y[k]));
if(j->c->n==1){
cairo_new_path(cr);
cairo_arc(cr,axis_pos(&j->ax,j->c->x[0]),axis_pos(&j->ay,j->c->y[0]),2.5,0,2*M_PI);
cairo_fill(cr);
}else cairo_stroke(cr);
cairo_restore(cr);

/*:488*/
#line 9422 "attention.w"

/*489:*/
#line 9444 "attention.w"

double asc,desc,lasc,ldesc,tasc,tdesc;
font_metrics(tick_font,&asc,&desc);
font_metrics(axis_font,&lasc,&ldesc);
font_metrics(title_font,&tasc,&tdesc);
cairo_set_source_rgb(cr,0.0,0.0,0.0);
cairo_set_line_width(cr,0.8);
cairo_rectangle(cr,x0,y1,x1-x0,y0-y1);
cairo_stroke(cr);
for(int k= 0;k<j->tx.n;k++){
double x= axis_pos(&j->ax,j->tx.v[k]),w= text_width(tick_font,j->tx.label[k]);
line(cr,x,y0,x,y0+TICK_LEN,0.8,0.0);
canvas_text(cv,tick_font,x-w/2,y0+TICK_LEN+TICK_PAD+asc,0.0,j->tx.label[k]);
}
for(int k= 0;k<j->ty.n;k++){
double y= axis_pos(&j->ay,j->ty.v[k]),w= text_width(tick_font,j->ty.label[k]);
line(cr,x0,y,x0-(j->ty.major[k]?TICK_LEN:TICK_LEN/2),y,0.8,0.0);
canvas_text(cv,tick_font,x0-TICK_LEN-TICK_PAD-w,y+(asc-desc)/2,0.0,
j->ty.label[k]);
}
/*490:*/
#line 9468 "attention.w"

double xw= text_width(axis_font,j->xlabel),yw= text_width(axis_font,j->ylabel);
double tw= text_width(title_font,j->title);
canvas_text(cv,axis_font,(x0+x1-xw)/2,CURVE_H-MARGIN-ldesc,0.0,j->xlabel);
canvas_text(cv,axis_font,MARGIN+lasc,(y0+y1+yw)/2,-90.0,j->ylabel);
canvas_text(cv,title_font,fmax(MARGIN,fmin((x0+x1-tw)/2,CURVE_W-MARGIN-tw)),
MARGIN+tasc,0.0,j->title);

/*:490*/
#line 9464 "attention.w"


/*:489*/
#line 9423 "attention.w"

}

/*:487*//*491:*/
#line 9477 "attention.w"

static void curve_job_end(CurveJob*j)
{
free(j->title);
free(j->xlabel);
free(j->ylabel);
}

int curve_save(const Curve*c,const char*path)
{
CurveJob j;
if(curve_job_begin(&j,c))return-1;
int status= figure_save(path,CURVE_W,CURVE_H,curve_job_draw,&j);
curve_job_end(&j);
return status;
}

int curve_image(const Curve*c,double scale,FigImage*img)
{
CurveJob j;
if(curve_job_begin(&j,c))return-1;
int status= figure_image(CURVE_W,CURVE_H,scale,curve_job_draw,&j,img);
curve_job_end(&j);
return status;
}

/*:491*/
#line 8169 "attention.w"


/*:421*/
