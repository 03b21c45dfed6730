/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_WASM_LINKAGE_H
#define _ASM_WASM_LINKAGE_H

#define __ALIGN		.balign 4
#define __ALIGN_STR	".balign 4"

/* Code has no address in linear memory; labels cannot be taken. */
#define _THIS_IP_	0UL

#endif /* _ASM_WASM_LINKAGE_H */
