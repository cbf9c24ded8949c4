import { describe, expect, it } from 'vitest';
import { QueryNotRegisteredError, ServiceError } from '@temporalio/client';
import { toApiError } from '../../api/errors';

describe('error mapping', () => {
  it('answers 503 UNAVAILABLE for what a later retry can get through, 500 for the rest', () => {
    const grpc = (code: number) => new ServiceError('x', { cause: Object.assign(new Error('x'), { code }) });
    for (const code of [1, 4, 8, 9, 10, 13, 14])
      expect(toApiError(grpc(code), () => undefined).code).toBe('UNAVAILABLE');
    expect(toApiError(new QueryNotRegisteredError('no worker yet', 3), () => undefined).code).toBe(
      'UNAVAILABLE',
    );
    let logged = '';
    const e = toApiError(new Error('a bug'), (id) => (logged = id));
    expect(e.code).toBe('INTERNAL');
    expect(logged).not.toBe('');
  });
});
