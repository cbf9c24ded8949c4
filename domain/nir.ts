/**
 * NIR (French social-security number): 13 characters of number and a 2-digit key, the key being
 * 97 - (number mod 97). Corsican departments 2A and 2B stand in places 6-7: for the key, 2A counts
 * as 19 and 2B as 18 (INSEE rule).
 */
import { asciiBytes } from './ascii';

const NIR_PATTERN = /^[1-478]\d{4}(?:2[AB]|\d{2})\d{6}\d{2}$/;

export function nirKey(number13: string): number {
  return digitsKeyAt(asciiBytes(number13.replace('2A', '19').replace('2B', '18')), 0);
}

const TEN_POW_7_MOD_97 = 10_000_000 % 97;

/**
 * The key of the 13 digits at `bytes[start]` (the caller has checked they are digits): their first
 * six and last seven read as two numbers, two remainders of 32-bit integers where one a digit
 * cost thirteen (the DSN import takes the key of every line).
 */
export function digitsKeyAt(bytes: Uint8Array, start: number): number {
  let high = 0;
  for (let i = start; i < start + 6; i++) high = high * 10 + bytes[i]! - 48;
  let low = 0;
  for (let i = start + 6; i < start + 13; i++) low = low * 10 + bytes[i]! - 48;
  return 97 - (((high % 97) * TEN_POW_7_MOD_97 + low) % 97);
}

export function isValidNir(nir: string): boolean {
  if (!NIR_PATTERN.test(nir)) return false;
  return nirKey(nir.slice(0, 13)) === Number(nir.slice(13));
}

/** The masked form served to partners that may not read the full NIR. */
export function maskNir(nir: string): string {
  return `${nir.slice(0, 7)}*******${nir.slice(13)}`;
}
