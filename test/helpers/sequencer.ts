import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The longest files first, whatever vitest remembers: on a clean clone (CI) it has no durations
 * and would start them by file size, leaving the ten-thousand-event dossier to the end of the run.
 */
const LONGEST_FIRST = [
  'test/api/long-life.test.ts',
  'test/faults/faults.test.ts',
  'test/e2e/cli.test.ts',
  'test/faults/external-cluster.test.ts',
  'test/workflows/dossier-workflow.test.ts',
  'test/faults/npm-start.test.ts',
  'test/api/record.test.ts',
  'test/e2e/web-ui-codec.test.ts',
  'test/e2e/demo.test.ts',
];

export class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const i = LONGEST_FIRST.findIndex((name) => f.moduleId.endsWith(name));
      return i === -1 ? LONGEST_FIRST.length : i;
    };
    const rest = await super.sort(files.filter((f) => rank(f) === LONGEST_FIRST.length));
    return [
      ...files.filter((f) => rank(f) < LONGEST_FIRST.length).sort((a, b) => rank(a) - rank(b)),
      ...rest,
    ];
  }
}
