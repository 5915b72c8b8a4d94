/** `dist/server.js`: the language server over IPC (`--node-ipc`, when VS Code starts it) or `--stdio`. */
import { createConnection, Message, ProposedFeatures, type ResponseMessage } from "vscode-languageserver/node";
import { startServer } from "./server";

/** Requests that are cheap to ask again: answered empty when cancelled before they are dispatched (as vscode-eslint does). */
const RETRYABLE = new Set(["textDocument/codeAction", "textDocument/hover", "textDocument/codeLens"]);

// A failure in one handler is logged; it must not take the server (and every open file's checks) down.
process.on("unhandledRejection", (reason) => console.error("rl-playground server: unhandled rejection:", reason));

startServer(
  createConnection(ProposedFeatures.all, {
    cancelUndispatched: (message: Message): ResponseMessage | undefined =>
      Message.isRequest(message) && RETRYABLE.has(message.method) ? { jsonrpc: message.jsonrpc, id: message.id, result: null } : undefined,
  }),
);
