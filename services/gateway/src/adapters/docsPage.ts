import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import type { FastifyInstance } from 'fastify';

/** swagger-ui-dist's files the page needs, and nothing else of the package is served. */
const ASSETS = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
} as const;

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Aman API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="docs"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`;

/** Loads the API's own document; no "try it out", so no key is ever typed into the page. */
const INIT = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#docs',
  deepLinking: true,
  supportedSubmitMethods: [],
});
`;

/** Scripts and styles from here only; swagger-ui sets inline styles, and fetches the document. */
const DOCS_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
  "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'";

/**
 * The browsable API documentation at /docs: swagger-ui, served from this process (no CDN: a
 * defender's NGO may read it over Tor), rendering /openapi.json. Public, like the document.
 */
export async function docsPage(app: FastifyInstance): Promise<void> {
  const require = createRequire(import.meta.url);
  const dist = (
    require('swagger-ui-dist') as { getAbsoluteFSPath: () => string }
  ).getAbsoluteFSPath();
  const files = new Map<string, Buffer>();
  for (const name of Object.keys(ASSETS)) files.set(name, await readFile(join(dist, name)));

  const send = (type: string, body: string | Buffer) => ({ type, body });
  const routes: [string, { type: string; body: string | Buffer }][] = [
    ['/docs', send('text/html; charset=utf-8', PAGE)],
    ['/docs/init.js', send('text/javascript; charset=utf-8', INIT)],
    ...Object.entries(ASSETS).map(
      ([name, type]) =>
        [`/docs/${name}`, send(type, files.get(name) ?? '')] as [
          string,
          { type: string; body: string | Buffer },
        ],
    ),
  ];
  for (const [url, { type, body }] of routes) {
    app.get(url, { schema: { hide: true } }, async (_request, reply) =>
      reply
        .header('content-type', type)
        .header('content-security-policy', DOCS_POLICY)
        .header('cache-control', 'public, max-age=3600')
        .send(body),
    );
  }
}
