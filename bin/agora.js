#!/usr/bin/env node
// `npx agora ...`: the operator CLI (cli/main.ts), run through the same bootstrap as npm start.
process.argv.splice(2, 0, 'cli/main.ts');
await import('../scripts/bootstrap.mjs');
