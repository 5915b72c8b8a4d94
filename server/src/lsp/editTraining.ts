/**
 * Request `rlPlayground/editTraining`: the dashboard's "also save them to the file" as an LSP
 * `WorkspaceEdit` the client applies (the server is the one editor of the user's source). The
 * params were held to the settings' rules on arrival; here a file whose export cannot be
 * edited mechanically is refused with the reason, and nothing is written.
 */
import * as fs from "node:fs";
import { ErrorCodes, ResponseError, type TextDocuments, type WorkspaceEdit } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import type { EditTrainingParams } from "../protocol";
import { uriToPath } from "./lspDiagnostics";
import { writeTrainingSettings } from "./sourceEdits";

export function editTraining(params: EditTrainingParams, documents: TextDocuments<TextDocument>): WorkspaceEdit {
  const { uri, settings } = params;
  // The editor's text when the file is open (its version guards against edits made since), else the disk's.
  const open = documents.get(uri);
  const text = open?.getText() ?? readFile(uri);
  const edit = writeTrainingSettings(text, settings);
  if (!edit.ok)
    throw new ResponseError(ErrorCodes.InvalidRequest, `cannot write the settings into ${uriToPath(uri) ?? uri}: ${edit.reason}`);
  return { documentChanges: [{ textDocument: { uri, version: open?.version ?? null }, edits: edit.edits }] };
}

function readFile(uri: string): string {
  const file = uriToPath(uri);
  if (!file) throw new ResponseError(ErrorCodes.InvalidParams, `rlPlayground/editTraining: ${uri} is not a file on disk`);
  try {
    return fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new ResponseError(ErrorCodes.InvalidRequest, `cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
