/**
 * Draws a `Scene` (design §2: world units, y up) as SVG. y is negated per coordinate rather
 * than by flipping the whole drawing, so text stays upright. Colour names follow the theme.
 */
import type { Scene, Shape } from "../../server/src/protocol";

const SVG_NS = "http://www.w3.org/2000/svg";

const NAMED_COLORS: Record<string, string> = {
  foreground: "var(--vscode-editor-foreground)",
  accent: "var(--vscode-charts-blue)",
  muted: "var(--vscode-descriptionForeground)",
  good: "var(--vscode-charts-green)",
  bad: "var(--vscode-charts-red)",
};

function color(name: string | undefined, fallback: string): string {
  if (name === undefined) return fallback;
  return NAMED_COLORS[name] ?? name;
}

function element(name: string, attrs: Record<string, string | number>): SVGElement {
  const el = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** Paint through CSSOM (allowed by the page's CSP, unlike a style attribute) so var() works. */
function paint(el: SVGElement, fill: string, stroke: string): SVGElement {
  el.style.fill = fill;
  el.style.stroke = stroke;
  return el;
}

function shapeElement(s: Shape, unit: number): SVGElement {
  switch (s.type) {
    case "rect": {
      const el = element("rect", { x: s.x, y: -(s.y + s.height), width: s.width, height: s.height });
      el.setAttribute("vector-effect", "non-scaling-stroke");
      return paint(el, color(s.fill, s.stroke ? "none" : NAMED_COLORS.foreground), color(s.stroke, "none"));
    }
    case "circle": {
      const el = element("circle", { cx: s.cx, cy: -s.cy, r: s.r });
      el.setAttribute("vector-effect", "non-scaling-stroke");
      return paint(el, color(s.fill, s.stroke ? "none" : NAMED_COLORS.foreground), color(s.stroke, "none"));
    }
    case "line": {
      const el = element("line", { x1: s.x1, y1: -s.y1, x2: s.x2, y2: -s.y2, "stroke-linecap": "round" });
      el.setAttribute("stroke-width", String(s.width ?? unit * 0.01));
      return paint(el, "none", color(s.stroke, NAMED_COLORS.foreground));
    }
    case "text": {
      const el = element("text", { x: s.x, y: -s.y, "font-size": s.size ?? unit * 0.05 });
      el.textContent = s.text;
      return paint(el, color(s.fill, NAMED_COLORS.foreground), "none");
    }
  }
}

/** Replace the contents of `svg` with `scene`. */
export function drawScene(svg: SVGSVGElement, scene: Scene): void {
  const [x, y, w, h] = scene.viewBox;
  svg.setAttribute("viewBox", `${x} ${-(y + h)} ${w} ${h}`);
  const unit = Math.max(w, h);
  svg.replaceChildren(
    ...scene.shapes.map((s, i) => {
      const el = shapeElement(s, unit);
      el.dataset.shape = String(i);
      return el;
    }),
  );
}

export function createSceneSvg(): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
  svg.classList.add("scene");
  return svg;
}
