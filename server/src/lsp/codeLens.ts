/** "▶ Train" and "Check" above the environment class; the client's commands receive the document URI. */
import type { CodeLens } from "vscode-languageserver";
import { findSourcePlaces } from "./engineCalls";

/** The client's palette commands (design §6). */
export const CLIENT_COMMANDS = { train: "rlPlayground.train", check: "rlPlayground.check" } as const;

/** Train runs the file's code: offered in a trusted workspace only. */
export function environmentLenses(uri: string, file: string, text: string, trusted: boolean): CodeLens[] {
  const places = findSourcePlaces(file, text);
  const at = places.environmentClass ?? places.otherEnvironmentClass;
  if (!at) return [];
  const range = { start: { line: at.start.line, character: 0 }, end: { line: at.start.line, character: 0 } };
  const check: CodeLens = { range, command: { title: "Check", command: CLIENT_COMMANDS.check, arguments: [uri] } };
  return trusted ? [{ range, command: { title: "▶ Train", command: CLIENT_COMMANDS.train, arguments: [uri] } }, check] : [check];
}
