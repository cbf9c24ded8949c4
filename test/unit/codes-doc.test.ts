import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { codesMarkdown } from '../../api/console/codes-doc';
import { INSERTION_COLUMN_LABEL } from '../../api/console/labels';
import { INSERTION_HEADER } from '../../db/insertion-export';

describe('docs/CODES.md', () => {
  it('is written from the console labels (run `npm run docs:codes` after changing them)', () => {
    const doc = readFileSync(new URL('../../docs/CODES.md', import.meta.url), 'utf8');
    expect(doc).toBe(codesMarkdown());
  });

  it('labels every column of the regional file and no other', () => {
    expect(Object.keys(INSERTION_COLUMN_LABEL)).toEqual(INSERTION_HEADER.split(','));
  });
});
