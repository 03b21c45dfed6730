// What `--mount SOURCE:GUEST[:ro][:cache]` (CLI) and
// `?mount=URL[:GUEST][:ro][:cache]` (web page) mean, and how /init learns of
// them: the exports are named host0, host1, … and listed on the kernel
// command line as WASMLINUX_MOUNTS=host0:/mnt/x[:ro][:cache],…
// (userland/init/init.c mounts them).

export interface MountSpec {
  /** The 9P export's name, the tag the guest mounts. */
  readonly tag: string;
  /** A host directory or a ws:// / wss:// URL, as given. */
  readonly source: string;
  /** Absolute path in the guest. */
  readonly guest: string;
  readonly readOnly: boolean;
  /**
   * Nothing but this guest changes the store while it runs, so the guest
   * may cache names and attributes (`:cache`): metadata calls then mostly
   * stay in the guest. Without it, every one asks the server.
   */
  readonly cache: boolean;
  readonly remote: boolean;
}

/** Where a remote mount goes when the page's ?mount= names no guest path. */
export const DEFAULT_NET_MOUNT = '/mnt/net';

const GUEST_PATH = /^\/[A-Za-z0-9._/+-]*$/;

/**
 * Splits SOURCE:GUEST[:ro|:rw][:cache]. The guest path is whatever follows the last
 * ':' (URLs have colons of their own); with defaultGuest, a source that is a
 * bare URL may leave it out. Throws an Error with a message for the user.
 */
export function parseMountSpec(text: string, index: number, defaultGuest?: string): MountSpec {
  let spec = text;
  let readOnly = false;
  let cache = false;
  // Flags at the end, in any order.
  for (let m; (m = /:(ro|rw|cache)$/.exec(spec)) !== null;) {
    if (m[1] === 'ro') readOnly = true;
    if (m[1] === 'cache') cache = true;
    spec = spec.slice(0, m.index);
  }
  const remote = /^wss?:\/\//i.test(spec);
  let at = spec.lastIndexOf(':');
  if (remote && defaultGuest !== undefined) {
    // With no guest path, the last ':' is the URL's own (scheme or port).
    if (at < spec.indexOf('://') + 3 || !spec.startsWith('/', at + 1)) at = -1;
  }
  let source: string;
  let guest: string;
  if (at > 0) {
    source = spec.slice(0, at);
    guest = spec.slice(at + 1);
  } else if (remote && defaultGuest !== undefined) {
    source = spec;
    guest = defaultGuest;
  } else {
    throw new Error(`${text}: expected DIR:GUEST[:ro][:cache], e.g. ./data:/mnt/data`);
  }
  if (!GUEST_PATH.test(guest) || guest.split('/').includes('..')) {
    throw new Error(`${text}: the guest path must be absolute, of letters, digits and . _ + - /`);
  }
  if (remote && !URL.canParse(source)) throw new Error(`${text}: ${source} is not a URL`);
  return { tag: `host${index}`, source, guest, readOnly, cache, remote };
}

/** The kernel command line word that tells /init what to mount ('' for none). */
export function mountsCmdline(mounts: readonly MountSpec[]): string {
  if (mounts.length === 0) return '';
  const list = mounts.map(
    (m) => `${m.tag}:${m.guest}${m.readOnly ? ':ro' : ''}${m.cache ? ':cache' : ''}`,
  );
  return `WASMLINUX_MOUNTS=${list.join(',')}`;
}
