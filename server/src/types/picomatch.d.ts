/** The part of picomatch 2's API the server uses (the package ships no types). */
declare module "picomatch" {
  interface PicomatchOptions {
    /** `*` and `**` also match names that start with a dot. */
    dot?: boolean;
    /** A leading `!` is a literal character, not a negation of the pattern. */
    nonegate?: boolean;
    /** `+(a|b)`, `@(a)`, `!(a)` are literal text, not extended globs. */
    noextglob?: boolean;
  }
  function picomatch(glob: string, options?: PicomatchOptions): (path: string) => boolean;
  export = picomatch;
}
