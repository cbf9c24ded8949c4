/** `npm run docs:codes`: writes docs/CODES.md from the console's label tables. */
import { writeFileSync } from 'node:fs';
import { codesMarkdown } from '../api/console/codes-doc';

writeFileSync(new URL('../docs/CODES.md', import.meta.url), codesMarkdown());
console.log('docs/CODES.md written');
