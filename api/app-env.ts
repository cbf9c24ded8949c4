import type { Actor } from '../domain/authorization';

/** Hono context variables set by the middlewares. */
export interface AppEnv {
  Variables: {
    actor: Actor;
    requestId: string;
  };
}
