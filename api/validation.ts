import type { ZodError } from 'zod';
import { validationError } from './errors';

/** Every request that fails its schema becomes a 400 VALIDATION_ERROR listing each problem. */
export function validationHook(result: { success: boolean; error?: ZodError; target: string }): void {
  if (!result.success && result.error) {
    throw validationError(result.error, result.target === 'json' ? 'body' : result.target);
  }
}
