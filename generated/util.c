/*359:*/
#line 6869 "attention.w"

#include "attention.h"
#include <errno.h> 
#include <stdarg.h> 
#include <stdlib.h> 
#include <string.h> 
#include <sys/stat.h> 
/*360:*/
#line 6880 "attention.w"

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

/*:360*//*361:*/
#line 6901 "attention.w"

void*xcalloc(size_t n,size_t size)
{
void*p= calloc(n?n:1,size?size:1);
if(!p){
fprintf(stderr,"attention: out of memory (%zu x %zu bytes)\n",n,size);
exit(1);
}
return p;
}

/*:361*//*362:*/
#line 6913 "attention.w"

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

/*:362*//*396:*/
#line 7674 "attention.w"

int save_target_check(const char*path)
{
struct stat st;
if(lstat(path,&st)!=0)return errno==ENOENT?0:
kit_fail("%s: cannot write: %s",path,strerror(errno));
if(S_ISREG(st.st_mode))return 0;
return kit_fail("%s: will not replace it: it exists and is not a regular file (%s)",path,
S_ISDIR(st.st_mode)?"a folder":S_ISLNK(st.st_mode)?"a symbolic link":
S_ISCHR(st.st_mode)||S_ISBLK(st.st_mode)?"a device":S_ISFIFO(st.st_mode)?
"a named pipe":"a socket");
}

/*:396*/
#line 6876 "attention.w"


/*:359*/
