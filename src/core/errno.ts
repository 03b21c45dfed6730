// Linux errno values: the one table the whole runtime uses, for what the
// host returns to the kernel (negated, by the kernel's convention) and for
// what a 9P server sends in Rlerror. The numbers are the generic ones
// (include/uapi/asm-generic/errno-base.h and errno.h), which arch/wasm uses.

export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  ENXIO: 6,
  ENOEXEC: 8,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  EMFILE: 24,
  ETXTBSY: 26,
  EFBIG: 27,
  ENOSPC: 28,
  ESPIPE: 29,
  EROFS: 30,
  EMLINK: 31,
  EPIPE: 32,
  ERANGE: 34,
  ENAMETOOLONG: 36,
  ENOSYS: 38,
  ENOTEMPTY: 39,
  ELOOP: 40,
  EPROTO: 71,
  EOVERFLOW: 75,
  EOPNOTSUPP: 95,
  EINPROGRESS: 115,
  EDQUOT: 122,
} as const;

export type ErrnoName = keyof typeof Errno;

/** Other hosts' names for an errno above (Node reports macOS's ENOTSUP, for one). */
const ALIASES: Readonly<Record<string, number>> = {
  ENOTSUP: Errno.EOPNOTSUPP,
  EWOULDBLOCK: Errno.EAGAIN,
};

/**
 * The Linux errno for a symbolic error code such as Node's err.code
 * ('ENOENT'), or undefined for a name this table does not know. Names are
 * the same on every host OS, so mapping names rather than numbers gives
 * Linux's numbers on a macOS host too.
 */
export function errnoByName(code: string): number | undefined {
  if (Object.hasOwn(Errno, code)) return Errno[code as ErrnoName];
  return ALIASES[code];
}
