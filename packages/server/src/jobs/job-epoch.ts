import { randomBytes } from 'node:crypto';

/** A fresh epoch for a job history that starts now: 8 random URL-safe characters (48 bits), so a store that lost its data never picks an old one again. */
export function newEpoch(): string {
  return randomBytes(6).toString('base64url');
}
