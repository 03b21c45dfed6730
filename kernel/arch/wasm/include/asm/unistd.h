/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_WASM_UNISTD_H
#define _ASM_WASM_UNISTD_H

#include <uapi/asm/unistd.h>

#define __ARCH_WANT_STAT64
#define __ARCH_WANT_SET_GET_RLIMIT
#define __ARCH_WANT_SYS_CLONE

#endif /* _ASM_WASM_UNISTD_H */
