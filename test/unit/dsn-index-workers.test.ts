import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { indexWorkers } from '../../db/dsn-import';

describe("the month's index workers", () => {
  it('leave one core to the sorting leader when PostgreSQL runs on this machine', () => {
    const here = Math.max(0, availableParallelism() - 1);
    for (const url of [
      'postgres://postgres@127.0.0.1:5432/agora',
      'postgres://postgres@localhost/agora',
      'postgres://postgres@[::1]:5432/agora',
      'postgres:///agora?host=/var/run/postgresql',
      'postgres://postgres@%2Fvar%2Frun%2Fpostgresql/agora',
    ])
      expect(indexWorkers(url), url).toBe(here);
  });

  it("keep a server's own setting elsewhere, or when the address cannot be read", () => {
    expect(indexWorkers('postgres://agora@db.internal:5432/agora')).toBeNull();
    expect(indexWorkers('postgres://agora@10.0.0.12/agora')).toBeNull();
    expect(indexWorkers('not a url')).toBeNull();
  });
});
