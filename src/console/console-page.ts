/**
 * The console's HTML: a fixed shell that the browser code (src/console/web)
 * fills from /api. It holds no data and no log text, so it is the same for
 * every visitor and needs no escaping.
 */

/** Scripts, styles and connections from this host only; no plugins, frames or <base>. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

/** Headers for every console response. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/** `version` busts caches when the bundle changes. */
export function consolePage(version: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>anomalog</title>
<link rel="stylesheet" href="/console/app.css?v=${version}">
<script type="module" src="/console/app.js?v=${version}"></script>
</head>
<body>
<header class="top">
<span class="brand">anomalog</span>
<nav aria-label="Views">
<a href="#/anomalies" data-view="anomalies">Anomalies</a>
<a href="#/patterns" data-view="patterns">Patterns</a>
<a href="#/services" data-view="services">Services</a>
</nav>
<p id="status" class="status" role="status" aria-live="polite"></p>
</header>
<main id="main" tabindex="-1"><p>Loading…</p></main>
<noscript><p>The anomalog console needs JavaScript.</p></noscript>
</body>
</html>
`;
}
