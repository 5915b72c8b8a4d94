/**
 * Matching document paths against the `rlPlayground.files` glob (VS Code's glob syntax:
 * `**`, `*`, `?`, `{a,b}`, `[...]`), relative to the workspace folder that holds them.
 */
import * as path from "node:path";

export function globToRegExp(glob: string): RegExp {
  let out = "";
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*" && glob[i + 1] === "*") {
      const slash = glob[i + 2] === "/";
      out += slash ? "(?:.*/)?" : ".*";
      i += slash ? 2 : 1;
    } else if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else if (c === "{") {
      braces++;
      out += "(?:";
    } else if (c === "}" && braces > 0) {
      braces--;
      out += ")";
    } else if (c === "," && braces > 0) out += "|";
    else if (c === "[") {
      const close = glob.indexOf("]", i + 1);
      if (close < 0) out += "\\[";
      else {
        out +=
          "[" +
          glob
            .slice(i + 1, close)
            .replace(/^!/, "^")
            .replace(/\\/g, "\\\\") +
          "]";
        i = close;
      }
    } else out += c.replace(/[.+^$()|\\\]]/g, "\\$&");
  }
  return new RegExp(`^${out}$`);
}

/** Whether `file` matches `glob`, relative to the innermost folder of `folders` that holds it. */
export function matchesFiles(file: string, glob: string, folders: string[]): boolean {
  const holder = folders
    .filter((f) => file === f || file.startsWith(f.endsWith(path.sep) ? f : f + path.sep))
    .sort((a, b) => b.length - a.length)[0];
  const relative = (holder ? path.relative(holder, file) : file.replace(/^\/+/, "")).split(path.sep).join("/");
  return globToRegExp(glob).test(relative);
}
