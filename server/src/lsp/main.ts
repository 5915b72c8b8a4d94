/** `dist/server.js`: the language server over IPC (when VS Code starts it) or `--stdio`. */
import { createConnection, ProposedFeatures } from "vscode-languageserver/node";
import { startServer } from "./server";

startServer(createConnection(ProposedFeatures.all));
