/**
 * Colours from the editor's theme. Charts draw on a canvas, which cannot read CSS variables,
 * so the `--vscode-*` values are resolved here and the charts are rebuilt when VS Code
 * switches theme (it changes the body's class and inline variables).
 */
export interface Theme {
  kind: "light" | "dark" | "high-contrast";
  foreground: string;
  muted: string;
  grid: string;
  background: string;
  /** Series colours in the order runs and lines take them (the editor's chart palette). */
  palette: string[];
  accent: string;
  good: string;
  bad: string;
  font: string;
}

function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): string {
  const value = style.getPropertyValue(name).trim();
  return value === "" ? fallback : value;
}

export function readTheme(): Theme {
  const style = getComputedStyle(document.body);
  const cls = document.body.classList;
  const kind =
    cls.contains("vscode-high-contrast") || cls.contains("vscode-high-contrast-light")
      ? "high-contrast"
      : cls.contains("vscode-light")
        ? "light"
        : "dark";
  const foreground = cssVar(style, "--vscode-editor-foreground", kind === "light" ? "#333333" : "#cccccc");
  const palette = [
    cssVar(style, "--vscode-charts-blue", "#3794ff"),
    cssVar(style, "--vscode-charts-orange", "#d18616"),
    cssVar(style, "--vscode-charts-green", "#89d185"),
    cssVar(style, "--vscode-charts-purple", "#b180d7"),
    cssVar(style, "--vscode-charts-red", "#f14c4c"),
    cssVar(style, "--vscode-charts-yellow", "#cca700"),
  ];
  return {
    kind,
    foreground,
    muted: cssVar(style, "--vscode-descriptionForeground", foreground),
    // High contrast borders are vivid by design: as a grid they would drown the data.
    grid: withAlpha(
      cssVar(style, "--vscode-editorWidget-border", kind === "light" ? "#c8c8c8" : "#454545"),
      kind === "high-contrast" ? 0.35 : 1,
    ),
    background: cssVar(style, "--vscode-editor-background", kind === "light" ? "#ffffff" : "#1e1e1e"),
    palette,
    accent: cssVar(style, "--vscode-focusBorder", palette[0]),
    good: cssVar(style, "--vscode-charts-green", "#89d185"),
    bad: cssVar(style, "--vscode-charts-red", "#f14c4c"),
    font: cssVar(style, "--vscode-font-family", "sans-serif"),
  };
}

let probe: CanvasRenderingContext2D | null = null;

/** `color` at opacity `alpha`, for band and area fills; a canvas normalises any CSS colour to #rrggbb. */
export function withAlpha(color: string, alpha: number): string {
  probe ??= document.createElement("canvas").getContext("2d");
  if (!probe) return color;
  probe.fillStyle = "#000000";
  probe.fillStyle = color;
  const normalised = String(probe.fillStyle);
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(normalised);
  if (hex) {
    const [r, g, b] = hex.slice(1).map((h) => parseInt(h, 16));
    return `rgba(${r}, ${g}, ${b}, ${alpha})`;
  }
  // A colour with its own alpha comes back as rgba(r, g, b, a): multiply the alphas.
  const rgba = /^rgba\((\d+), (\d+), (\d+), ([\d.]+)\)$/.exec(normalised);
  return rgba ? `rgba(${rgba[1]}, ${rgba[2]}, ${rgba[3]}, ${Number(rgba[4]) * alpha})` : normalised;
}

/** Call `onChange` when VS Code switches the theme. */
export function watchTheme(onChange: () => void): void {
  new MutationObserver(onChange).observe(document.body, { attributes: true, attributeFilter: ["class", "style"] });
}
