import { z } from 'zod';

const optional = z
  .string()
  .optional()
  .transform((v) => (v === '' ? undefined : v));

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** The address the API listens on: loopback by default, `0.0.0.0` behind a proxy or in a container. */
  HOST: z.string().default('127.0.0.1'),
  /** The bearer token Prometheus scrapes /metrics with (unset: the admin token only). */
  AGORA_METRICS_TOKEN: optional,
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('dossiers'),
  TEMPORAL_API_KEY: optional,
  TEMPORAL_TLS_CERT: optional,
  TEMPORAL_TLS_KEY: optional,
  DATABASE_URL: z.string().default('postgres://postgres@127.0.0.1:5432/agora'),
  /** The admin token: at least 32 characters (every guess of it is a guess at the whole platform). */
  AGORA_ADMIN_TOKEN: optional.refine((v) => v === undefined || v.length >= 32, {
    message:
      'AGORA_ADMIN_TOKEN must be at least 32 characters (npm start makes one: unset it, or use `openssl rand -base64 32`)',
  }),
  AGORA_DATA_KEY: optional.refine((v) => v === undefined || Buffer.from(v, 'base64').length === 32, {
    message: 'AGORA_DATA_KEY must be 32 bytes in base64',
  }),
  /** Key of the NIR pseudonyms (base64); derived from AGORA_DATA_KEY when unset. Never rotate it. */
  AGORA_HASH_KEY: optional,
  /** Former data keys (comma-separated, base64), kept to decrypt what they encrypted. */
  AGORA_DATA_KEYS_OLD: optional,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  AGORA_BODY_LIMIT: z.coerce
    .number()
    .int()
    .positive()
    .default(1024 * 1024),
  /** Origins of the Temporal Web UI allowed to call the codec endpoint (comma-separated). */
  AGORA_UI_ORIGINS: z.string().default('http://127.0.0.1:8233,http://localhost:8233'),
  /** Requests a second per token on each API instance (0: none), and the burst above it. */
  AGORA_RATE_LIMIT: z.coerce.number().min(0).default(200),
  AGORA_RATE_BURST: z.coerce.number().int().min(1).default(1000),
  /** How long a stats answer is served from memory by each API instance (0: never). */
  AGORA_STATS_CACHE_SECONDS: z.coerce.number().min(0).default(30),
  /**
   * Workflows a worker keeps in memory (about 0.15 MiB each); the others are replayed from their
   * history when they wake. Bounds the worker's memory whatever the number of open dossiers: 400
   * keeps it under 300 MiB to 100,000 open (docs/PERFORMANCE.md, "Worker memory, session 19").
   */
  AGORA_WORKER_CACHE: z.coerce.number().int().min(0).default(400),
  /**
   * `1`: errors in workflow code keep their call stacks (the Web UI's "Stack Trace" tab), to debug
   * a workflow; off by default, their capture costs CPU on every workflow task (workflows/sandbox.ts).
   */
  AGORA_WORKFLOW_STACK_TRACES: z.enum(['0', '1']).default('0'),
  /** host:port where a worker serves Temporal's own worker metrics (Prometheus); unset: none. */
  AGORA_WORKER_METRICS: optional,
  /** Where the weekly regional files are written (default: .data/exports of the project). */
  AGORA_EXPORT_DIR: optional,
  /**
   * `npm start` runs (and supervises) its own Temporal dev server when TEMPORAL_ADDRESS is the local
   * default; `1` makes it do so on another local address too (tests, a second stack on one machine).
   */
  AGORA_TEMPORAL_EMBEDDED: z.enum(['0', '1']).optional(),
  /** The embedded Temporal Web UI's port (8233). */
  AGORA_TEMPORAL_UI_PORT: z.coerce.number().int().min(1).max(65535).default(8233),
  /** OpenTelemetry's standard variables: traces go there over OTLP/HTTP when set (infra/telemetry.ts). */
  OTEL_EXPORTER_OTLP_ENDPOINT: optional,
  OTEL_EXPORTER_OTLP_PROTOCOL: z.enum(['http/json', 'http/protobuf']).default('http/protobuf'),
  OTEL_SERVICE_NAME: optional,
  /** Years a dossier's record is kept after its closure (CONTRACT.md); then the daily purge deletes it. */
  AGORA_RETENTION_YEARS: z.coerce.number().positive().default(10),
  /**
   * `1`: webhooks may go to http:// and to private, loopback or link-local addresses (one machine,
   * the tests; `npm start` sets it when unset). Unset or `0`: https:// to public addresses only.
   */
  AGORA_WEBHOOK_ALLOW_PRIVATE: z.enum(['0', '1']).default('0'),
  /**
   * Where browsers reach the API and console (`https://agora.example.fr`): the console's OpenID
   * Connect redirect and the embedded provider's issuer. Unset: the listening address.
   */
  AGORA_PUBLIC_URL: optional.refine((v) => v === undefined || /^https?:\/\/[^/]+$/.test(v), {
    message: 'AGORA_PUBLIC_URL must be an origin such as https://agora.example.fr (no path)',
  }),
  /** The console's OpenID Connect provider (ProConnect): all three, or none for the embedded one. */
  AGORA_OIDC_ISSUER: optional.refine((v) => v === undefined || /^https?:\/\//.test(v), {
    message: "AGORA_OIDC_ISSUER must be the provider's issuer URL (https://...)",
  }),
  AGORA_OIDC_CLIENT_ID: optional,
  AGORA_OIDC_CLIENT_SECRET: optional,
  /** Deliveries a worker runs at once (each webhook's waits for changes holds one). */
  AGORA_WORKER_ACTIVITIES: z.coerce.number().int().min(1).default(1000),
  /** Dossiers of one partner file run at once, over all its shares. */
  AGORA_FLUX_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(32),
  /** Days a partner file's status and answers are kept once it has run (the daily retention purge). */
  AGORA_FLUX_RETENTION_DAYS: z.coerce.number().min(0).default(30),
});

export type Env = z.infer<typeof EnvSchema>;

/** Rules across variables. */
const Checked = EnvSchema.refine((e) => !(e.AGORA_DATA_KEYS_OLD && !e.AGORA_HASH_KEY), {
  message:
    'rotating the data key (AGORA_DATA_KEYS_OLD set) needs AGORA_HASH_KEY: without it the NIR hash key is derived from AGORA_DATA_KEY and would change with it (set AGORA_HASH_KEY to the former AGORA_DATA_KEY)',
  path: ['AGORA_HASH_KEY'],
}).refine((e) => oidcSet(e) === 0 || oidcSet(e) === 3, {
  message:
    "the console's OpenID provider needs AGORA_OIDC_ISSUER, AGORA_OIDC_CLIENT_ID and AGORA_OIDC_CLIENT_SECRET together (none: the embedded provider)",
  path: ['AGORA_OIDC_ISSUER'],
});

const oidcSet = (e: Env) =>
  [e.AGORA_OIDC_ISSUER, e.AGORA_OIDC_CLIENT_ID, e.AGORA_OIDC_CLIENT_SECRET].filter((v) => v !== undefined)
    .length;

/** The console's outside OpenID provider, when configured (all three variables). */
export function oidcProvider(e: Env): { issuer: string; clientId: string; clientSecret: string } | undefined {
  return e.AGORA_OIDC_ISSUER && e.AGORA_OIDC_CLIENT_ID && e.AGORA_OIDC_CLIENT_SECRET
    ? {
        issuer: e.AGORA_OIDC_ISSUER,
        clientId: e.AGORA_OIDC_CLIENT_ID,
        clientSecret: e.AGORA_OIDC_CLIENT_SECRET,
      }
    : undefined;
}

/** Parse the environment once, failing with every problem listed. Nothing else reads process.env. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const parsed = Checked.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
