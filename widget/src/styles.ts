/**
 * The widget's CSS, scoped by its shadow root. Every colour, size and the font are CSS
 * custom properties with defaults, which the page sets on the host (or any ancestor):
 * --plusone-accent, --plusone-accent-text, --plusone-text, --plusone-muted, --plusone-bg,
 * --plusone-card-bg, --plusone-border, --plusone-radius, --plusone-font, --plusone-height,
 * --plusone-card-width, --plusone-image-height. The box has a fixed height
 * (--plusone-height), the one reserved while loading, so rendering shifts nothing.
 */
export const CSS = `:host{display:block}
.w{box-sizing:border-box;height:var(--plusone-height,330px);padding:12px 0;display:flex;flex-direction:column;overflow:hidden;container-type:inline-size;font:var(--plusone-font,14px/1.35 system-ui,sans-serif);color:var(--plusone-text,#1f2328);background:var(--plusone-bg,transparent)}
.h{display:flex;align-items:center;justify-content:space-between;gap:8px;margin-bottom:10px}
.t{margin:0;font-size:1.15em;font-weight:600}
.v{display:flex;gap:6px}
.v[hidden]{display:flex;visibility:hidden}
button{font:inherit;color:inherit;cursor:pointer;border:1px solid var(--plusone-border,#d0d7de);background:var(--plusone-card-bg,#fff);border-radius:var(--plusone-radius,8px)}
.v button{width:32px;height:32px;padding:0;font-size:18px;line-height:1}
[aria-disabled=true]{opacity:.35;cursor:default}
.l{flex:1;display:grid;grid-auto-flow:column;grid-auto-columns:var(--plusone-card-width,160px);gap:12px;margin:0;padding:4px;list-style:none;overflow:auto hidden;scroll-snap-type:x mandatory;scroll-behavior:smooth;scrollbar-width:none}
.l::-webkit-scrollbar{display:none}
.c{scroll-snap-align:start;display:flex;flex-direction:column;gap:6px;min-width:0}
.a{display:flex;flex-direction:column;gap:4px;color:inherit;text-decoration:none;border-radius:var(--plusone-radius,8px)}
.i{display:block;width:100%;height:var(--plusone-image-height,150px);object-fit:cover;border-radius:var(--plusone-radius,8px);background:var(--plusone-muted-bg,#f3f4f6)}
.n{height:2.7em;overflow:hidden;display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical}
.p{font-weight:600;color:var(--plusone-muted,inherit);min-height:1.35em}
.b{padding:6px 8px;border-color:transparent;background:var(--plusone-accent,#0b5fff);color:var(--plusone-accent-text,#fff)}
:focus-visible{outline:2px solid var(--plusone-accent,#0b5fff);outline-offset:2px}
@container (max-width:480px){.l{grid-auto-columns:42%}}
@media (prefers-reduced-motion:reduce){.l{scroll-behavior:auto}}`;
