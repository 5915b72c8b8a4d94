/** The VS Code extension's entry point (skeleton: replaced by the client work). */
import type * as vscode from "vscode";

export function activate(_context: vscode.ExtensionContext): void {}

export function deactivate(): void {}
