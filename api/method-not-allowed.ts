/** The methods the app serves on a path, from its routes (`app.routes`); empty when it serves none. */
export function methodsOf(routes: readonly { method: string; path: string }[], path: string): string[] {
  const methods = new Set<string>();
  for (const r of routes) {
    // Middleware is registered for ALL methods: it serves nothing by itself.
    if (r.method === 'ALL') continue;
    const pattern = r.path
      .split('/')
      .map((part) =>
        part.startsWith(':') ? '[^/]+' : part === '*' ? '.*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'),
      )
      .join('/');
    if (new RegExp(`^${pattern}$`).test(path)) methods.add(r.method);
  }
  // Hono answers HEAD with the GET route.
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}
