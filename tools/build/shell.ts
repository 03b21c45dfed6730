// Quoting for sh: command lines shown in progress and logs, and the few
// steps that must go through a shell.

/** arg as one sh word: bare when that is safe, else in single quotes. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./~-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
