import { pino } from 'pino';

/** Structured JSON logs; personal fields are redacted wherever they appear. */
export function createLogger(level: string, name: string) {
  return pino({
    name,
    level,
    redact: {
      paths: ['*.nir', '*.nom', '*.prenom', '*.dateNaissance', '*.stagiaire', 'req.headers.authorization'],
      censor: '[redacted]',
    },
  });
}
export type Logger = ReturnType<typeof createLogger>;
