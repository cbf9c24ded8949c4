import { asciiBytes } from './ascii';

/** SIRET: 14 digits passing the Luhn check; La Poste's establishments follow their own rule. */
const LA_POSTE_SIREN = '356000000';
const LA_POSTE_HEAD_OFFICE = '35600000000048';

/** The Luhn check of the `length` digits at `bytes[start]` (the caller has checked they are digits). */
export function luhnAt(bytes: Uint8Array, start: number, length: number): boolean {
  let sum = 0;
  for (let i = 0; i < length; i++) {
    let d = bytes[start + length - 1 - i]! - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

const luhn = (digits: string): boolean => luhnAt(asciiBytes(digits), 0, digits.length);

export function isValidSiret(siret: string): boolean {
  if (!/^\d{14}$/.test(siret)) return false;
  if (siret.startsWith(LA_POSTE_SIREN) && siret !== LA_POSTE_HEAD_OFFICE) {
    // La Poste numbers its many establishments so that the digit sum is a multiple of 5.
    let sum = 0;
    for (const ch of siret) sum += ch.charCodeAt(0) - 48;
    return sum % 5 === 0;
  }
  return luhn(siret);
}

/** The SIRET that completes a 13-digit prefix with its Luhn check digit (demo and benchmark data). */
export function completeSiret(prefix13: string): string {
  if (!/^\d{13}$/.test(prefix13)) throw new Error(`not a 13-digit prefix: ${prefix13}`);
  for (let d = 0; d <= 9; d++) if (luhn(`${prefix13}${d}`)) return `${prefix13}${d}`;
  throw new Error('unreachable: one check digit always completes the sum');
}
