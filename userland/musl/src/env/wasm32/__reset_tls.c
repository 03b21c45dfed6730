/*
 * Give the calling thread's TLS block its initial values again (timer
 * threads do this between callbacks). The image is a passive segment that
 * only __wasm_init_tls can copy (see __init_tls.c).
 */

#include "pthread_impl.h"

void __wasm_init_tls(void *);

void __reset_tls()
{
	__wasm_init_tls((void *)__pthread_self()->dtv[1]);
}
