// The DSN import's threads run TypeScript: tsx is registered in each thread (a thread does not
// inherit the loader the process registered through tsx's API), then the thread's module loads.
const { register } = await import('tsx/esm/api');
register();
await import('./dsn-parse-thread.ts');
