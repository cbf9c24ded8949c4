import type { Client, ConnectionLike } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { describeSetup, setupNamespace } from '../../services/namespace-setup';
import { SCHEDULES } from '../../services/schedules';
import { SEARCH_ATTRIBUTE_DEFINITIONS } from '../../workflows/search-attributes';

/**
 * Credentials that may not administer the namespace (Temporal Cloud without the admin role): the
 * set-up does what it may and reports the exact commands for the rest. The real server's path (all
 * allowed) is test/faults/external-cluster.test.ts.
 */
const denied = () => Object.assign(new Error('7 PERMISSION_DENIED: Request unauthorized.'), { code: 7 });

function cluster(opts: {
  list: 'denied' | string[];
  add: 'denied' | 'ok';
  schedules: 'denied' | 'ok';
  retentionHours: number;
}) {
  const added: string[][] = [];
  const connection = {
    operatorService: {
      listSearchAttributes: async () => {
        if (opts.list === 'denied') throw denied();
        return { customAttributes: Object.fromEntries(opts.list.map((n) => [n, 2])) };
      },
      addSearchAttributes: async (req: { searchAttributes: Record<string, number> }) => {
        if (opts.add === 'denied') throw denied();
        added.push(Object.keys(req.searchAttributes));
        return {};
      },
    },
    workflowService: {
      describeNamespace: async () => ({
        config: { workflowExecutionRetentionTtl: { seconds: opts.retentionHours * 3600 } },
      }),
    },
  } as unknown as ConnectionLike;
  const client = {
    schedule: {
      create: async () => {
        if (opts.schedules === 'denied') throw new Error('denied', { cause: denied() });
      },
    },
  } as unknown as Client;
  return { connection, client, added };
}

const names = Object.keys(SEARCH_ATTRIBUTE_DEFINITIONS);

describe('agora setup', () => {
  it('adds only the missing search attributes and reports the namespace ready', async () => {
    const { connection, client, added } = cluster({
      list: ['DossierStatus', 'Region'],
      add: 'ok',
      schedules: 'ok',
      retentionHours: 24 * 7,
    });
    const report = await setupNamespace({ connection, client, namespace: 'agora', taskQueue: 'dossiers' });
    expect(added).toEqual([names.filter((n) => n !== 'DossierStatus' && n !== 'Region')]);
    expect(report).toMatchObject({
      namespace: 'agora',
      searchAttributes: { present: ['DossierStatus', 'Region'] },
      schedules: 'ensured',
      retentionDays: 7,
      problems: [],
      commands: [],
    });
    expect(describeSetup(report)).toMatch(/\nready$/);
  });

  it('without the rights: the exact temporal and tcld commands for every step left', async () => {
    const { connection, client } = cluster({
      list: 'denied',
      add: 'denied',
      schedules: 'denied',
      retentionHours: 12,
    });
    const report = await setupNamespace({
      connection,
      client,
      namespace: 'agora.a1b2c',
      taskQueue: 'dossiers',
    });
    expect(report.schedules).toBe('not allowed');
    expect(report.retentionDays).toBe(0.5);
    expect(report.problems).toHaveLength(3);
    for (const [name, type] of Object.entries(SEARCH_ATTRIBUTE_DEFINITIONS)) {
      expect(report.commands).toContain(
        `temporal operator search-attribute create --namespace agora.a1b2c --name ${name} --type ${type}`,
      );
      expect(report.commands).toContain(
        `tcld namespace search-attributes add --namespace agora.a1b2c --search-attribute "${name}=${type}"`,
      );
    }
    for (const s of SCHEDULES) {
      const command = report.commands.find((c) => c.includes(`--schedule-id ${s.id} `));
      expect(command).toContain(
        `--workflow-type ${s.workflowType} --workflow-id ${s.id} --task-queue dossiers`,
      );
      expect(command).toContain('--namespace agora.a1b2c');
      expect(command).toContain('--time-zone Europe/Paris');
    }
    expect(report.commands).toContain(
      'temporal operator namespace update --namespace agora.a1b2c --retention 24h',
    );
    const text = describeSetup(report);
    expect(text).toContain('Not ready:');
    expect(text).toContain('Run, with the rights to do it:');
  });

  it('a server error that is not a refusal of the credentials is not hidden', async () => {
    const { connection, client } = cluster({ list: [], add: 'ok', schedules: 'ok', retentionHours: 24 });
    (
      connection.operatorService as unknown as { addSearchAttributes: () => Promise<never> }
    ).addSearchAttributes = async () => {
      throw Object.assign(new Error('14 UNAVAILABLE'), { code: 14 });
    };
    await expect(
      setupNamespace({ connection, client, namespace: 'agora', taskQueue: 'dossiers' }),
    ).rejects.toThrow(/UNAVAILABLE/);
  });
});
