/*9:*/
#line 554 "attention.w"

#include "attention.h"
#include <stdarg.h> 
#include <stdlib.h> 
#include <string.h> 
/*10:*/
#line 563 "attention.w"

static char last_error[2048];

int kit_fail(const char*fmt,...)
{
va_list ap;
va_start(ap,fmt);
vsnprintf(last_error,sizeof last_error,fmt,ap);
va_end(ap);
return-1;
}

const char*kit_error(void)
{
return last_error;
}

/*:10*//*11:*/
#line 584 "attention.w"

void*xcalloc(size_t n,size_t size)
{
void*p= calloc(n?n:1,size?size:1);
if(!p){
fprintf(stderr,"attention: out of memory (%zu x %zu bytes)\n",n,size);
exit(1);
}
return p;
}

/*:11*//*12:*/
#line 596 "attention.w"

void*xrealloc(void*p,size_t size)
{
void*q= realloc(p,size?size:1);
if(!q){
fprintf(stderr,"attention: out of memory (%zu bytes)\n",size);
exit(1);
}
return q;
}

char*xstrdup(const char*s)
{
size_t n= strlen(s)+1;
char*t= xcalloc(n,1);
memcpy(t,s,n);
return t;
}

/*:12*/
#line 559 "attention.w"


/*:9*/
