import { ERROR_CODES } from '../../core/errors/api-error.js';
import { openApiDocument } from './document.js';

const escapeHtml = (s: unknown) => String(s).replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

// biome-ignore lint/suspicious/noExplicitAny: the OpenAPI document is walked generically, field by field
type Json = Record<string, any>;

function schemaText(schema: Json | undefined): string {
  if (schema === undefined) return '';
  if (schema.enum) return (schema.enum as unknown[]).join(' | ');
  if (schema.anyOf) return (schema.anyOf as Json[]).map(schemaText).join(' or ');
  if (schema.type === 'array') return `list of ${schemaText(schema.items)}`;
  return String(schema.type ?? '');
}

let cached: string | undefined;

/** /v1/docs: the OpenAPI document as a page (built once per isolate). */
export function docsPage(): string {
  if (cached !== undefined) return cached;
  const doc = openApiDocument() as Json;
  const sections: string[] = [];
  for (const [path, item] of Object.entries(doc.paths as Json)) {
    for (const [method, op] of Object.entries(item as Record<string, Json>)) {
      const params = (op.parameters ?? []) as Json[];
      const rows = params
        .map(
          (p) =>
            `<tr><td><code>${escapeHtml(p.name)}</code>${p.required ? ' (required)' : ''}</td><td>${escapeHtml(p.in)}</td><td>${escapeHtml(schemaText(p.schema))}</td><td>${escapeHtml(p.description ?? '')}</td></tr>`,
        )
        .join('');
      sections.push(
        `<section><h2><code>${escapeHtml(method.toUpperCase())} ${escapeHtml(path)}</code></h2><p><strong>${escapeHtml(op.summary)}</strong>${op.description ? `. ${escapeHtml(op.description)}` : ''}</p>` +
          (rows ? `<table><tr><th>parameter</th><th>in</th><th>type</th><th>meaning</th></tr>${rows}</table>` : '') +
          `</section>`,
      );
    }
  }
  const errors = Object.entries(ERROR_CODES)
    .map(([code, status]) => `<tr><td>${status}</td><td><code>${code}</code></td></tr>`)
    .join('');
  cached = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>PlusOne edge API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
code{background:#f4f4f4;padding:0 .2rem}pre{background:#f4f4f4;padding:.75rem;overflow:auto}</style></head>
<body><h1>PlusOne edge API</h1>
<p>${escapeHtml(doc.info.description)}</p>
<p>Machine-readable: <a href="/v1/openapi.json">/v1/openapi.json</a> (OpenAPI 3.1).</p>
<h2>Authentication</h2>
<p>Send <code>Authorization: Bearer &lt;key&gt;</code>, or, from the storefront widget, <code>?key=pk_…</code>.
Publishable keys (<code>pk_</code>) may be used from the browser origins listed when they were created (CORS);
secret keys (<code>sk_</code>) only from servers. A key of one seller gets 403 on another. Keys are created and revoked
with <code>plusone keys create</code> and <code>plusone keys revoke</code>; only their SHA-256 is stored.</p>
<h2>Rate limits</h2>
<p>Per key, with a token bucket held in each Workers isolate's memory: the limit applies per isolate, not globally.
Over the limit, the answer is 429 <code>rate_limited</code> with a <code>Retry-After</code> header in seconds.</p>
<h2>Example</h2>
<pre>curl -H "Authorization: Bearer pk_…" \\
  "https://&lt;worker&gt;/v1/sellers/shop1/recommendations/basket?items=sku1,sku7&amp;n=4"

{"items":[{"id":"sku3","score":0.42,"title":"Mug","url":"https://…","image":"https://…","price":12.5}],
 "model":{"type":"item-knn","version":"20260101T120000Z-1a2b3c4d"},"variant":null,"rec_id":"…","fallback":false}</pre>
${sections.join('\n')}
<h2>Errors</h2>
<p>Every error is <code>{"error":{"code","message"}}</code>; the message says what was wrong and what to do.</p>
<table><tr><th>status</th><th>code</th></tr>${errors}</table>
</body></html>`;
  return cached;
}
