// Connection secrets are stored encrypted (AES-256-GCM) and only decrypted inside activities.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

export const MASKED_SECRET = '********';

/**
 * Used only when SYNCLINE_SECRET_KEY is unset (local development): the API warns at start-up.
 * Production deployments must set their own key.
 */
const DEVELOPMENT_KEY_MATERIAL = 'syncline-development-only-key';

export interface SecretBox {
  encrypt(secrets: Record<string, unknown>): string;
  decrypt(ciphertext: string | null): Record<string, unknown>;
  usesDevelopmentKey: boolean;
}

export function createSecretBox(secretKey: string | undefined): SecretBox {
  const key = createHash('sha256').update(secretKey ?? DEVELOPMENT_KEY_MATERIAL).digest();
  return {
    usesDevelopmentKey: secretKey === undefined,
    encrypt(secrets) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(JSON.stringify(secrets), 'utf8'), cipher.final()]);
      return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join('.');
    },
    decrypt(ciphertext) {
      if (!ciphertext) return {};
      const [version, iv, tag, body] = ciphertext.split('.');
      if (version !== 'v1' || !iv || !tag || !body) throw new Error('Unreadable secrets ciphertext');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      const plain = Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]);
      return JSON.parse(plain.toString('utf8')) as Record<string, unknown>;
    },
  };
}

/** Every key of the secrets object shown as "********": secrets are write-only. */
export function maskSecrets(keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.map((k) => [k, MASKED_SECRET]));
}

/** Replaces every secret value found in a message (an upstream error may echo a URL or a header). */
export function redactSecrets(text: string, secrets: Record<string, unknown>): string {
  let out = text;
  for (const value of Object.values(secrets)) {
    if (typeof value === 'string' && value.length >= 4) out = out.split(value).join(MASKED_SECRET);
  }
  return out;
}
