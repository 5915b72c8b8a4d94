/**
 * Matching document paths against the `rlPlayground.files` glob, relative to the workspace
 * folder that holds them, as the client's document selector (VS Code's glob) does:
 * `**` as a whole path segment spans any number of folders (none included); `*` and `?`
 * stay within one name, and so does `**` inside a name (`a/**b.rl.ts` is `a/*b.rl.ts`);
 * `{a,b}` is either, `[0-9]` one of, `[!0-9]` (or `[^0-9]`) none of. Names starting with a
 * dot match like any other, case counts, and the pattern is trimmed. `!` at the start and
 * extended globs (`+(a|b)`) are literal text to VS Code, so they are to picomatch here too.
 */
import * as path from "node:path";
import picomatch from "picomatch";

const matchers = new Map<string, (relative: string) => boolean>();

/** Whether a `/`-separated path relative to a workspace folder matches `glob`. */
export function matchesGlob(glob: string, relative: string): boolean {
  let matcher = matchers.get(glob);
  if (!matcher) {
    // picomatch 2 reads `[!…]` as a class holding `!`; VS Code reads it as a negated class.
    matcher = picomatch(glob.trim().replace(/\[!/g, "[^"), { dot: true, nonegate: true, noextglob: true });
    matchers.set(glob, matcher);
  }
  return matcher(relative);
}

/** Whether `file` matches `glob`, relative to the innermost folder of `folders` that holds it. */
export function matchesFiles(file: string, glob: string, folders: string[]): boolean {
  const holder = folders
    .filter((f) => file === f || file.startsWith(f.endsWith(path.sep) ? f : f + path.sep))
    .sort((a, b) => b.length - a.length)[0];
  const relative = (holder ? path.relative(holder, file) : file.replace(/^\/+/, "")).split(path.sep).join("/");
  return matchesGlob(glob, relative);
}
