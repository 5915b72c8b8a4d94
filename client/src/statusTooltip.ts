/**
 * The server's part of the status bar tooltip, as Markdown (no `vscode` here: the tests run it
 * under Node). The backend line is the active file's and is shown once: the detailed line when
 * the server sent one, else the bare backend name.
 */
export function serverTooltipLines(backend: string | null, backendMessage: string | null, otherMessage: string | null): string[] {
  return [
    backendMessage ? escapeMarkdown(backendMessage) : `RL Playground: backend **${backend ?? "not chosen yet"}**`,
    "Click to open the training dashboard.",
    ...(otherMessage ? [escapeMarkdown(otherMessage)] : []),
  ];
}

export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+!|<>]/g, "\\$&");
}
