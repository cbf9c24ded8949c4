/**
 * PostgreSQL refuses NUL in text and jsonb (22P05): a hostile value (an id, a refusal quoting it)
 * is kept readable instead of failing the write that holds it.
 */
export const storable = <T extends string | null | undefined>(v: T): T =>
  (typeof v === 'string' && v.includes('\u0000') ? v.replace(/\u0000/g, '\\0') : v) as T;
