/** The RL Playground language server (skeleton: replaced by the language-server work). */
import type { Connection } from "vscode-languageserver";
import { TextDocumentSyncKind } from "vscode-languageserver";

export function startServer(connection: Connection): void {
  connection.onInitialize(() => ({ capabilities: { textDocumentSync: TextDocumentSyncKind.Incremental } }));
  connection.listen();
}
