/**
 * The web view's page: one shell for every path; the script draws the page
 * the path names.
 *
 * @internal
 */
export const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>weft</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/app.css">
</head>
<body>
<header class="top">
  <a href="/" class="brand" data-link>weft</a>
  <nav>
    <a href="/" data-link data-nav="runs">Runs</a>
    <a href="/dashboard" data-link data-nav="dashboard">Dashboard</a>
    <a href="/templates" data-link data-nav="templates">Templates</a>
    <a href="/schedules" data-link data-nav="schedules">Schedules</a>
    <a href="/docs">API</a>
  </nav>
  <span id="live" class="live off">connecting</span>
</header>
<main id="app"><p class="muted">Loading…</p></main>
<script src="/assets/app.js"></script>
</body>
</html>
`

/** The icon: a few woven threads. */
export const favicon = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
<rect width="32" height="32" rx="7" fill="#1d2433"/>
<path d="M6 10h20M6 16h20M6 22h20" stroke="#4cd38a" stroke-width="2.4" stroke-linecap="round"/>
<path d="M11 6v20M21 6v20" stroke="#8fb0ff" stroke-width="2.4" stroke-linecap="round"/>
</svg>
`
