/**
 * A Google-style service account key: the JSON file with the account's email, an RSA
 * private key in PEM and that key's id. Checked once, with an error naming what is wrong.
 */
import { createPrivateKey, type KeyObject } from "node:crypto";

/** The fields of a service account key file that signing needs; others are allowed and ignored. */
export interface ServiceAccountKey {
  readonly client_email: string;
  readonly private_key: string;
  readonly private_key_id: string;
}

/** The key, parsed: who signs and with what. */
export interface ServiceAccountSigner {
  readonly email: string;
  readonly keyId: string;
  readonly privateKey: KeyObject;
}

/** Reads a service account key given as its JSON text or the parsed object; throws a TypeError naming the missing or bad field. */
export function parseServiceAccountKey(key: ServiceAccountKey | string): ServiceAccountSigner {
  let fields: unknown = key;
  if (typeof key === "string") {
    try {
      fields = JSON.parse(key);
    } catch (e) {
      throw new TypeError(`the service account key is not JSON: ${(e as Error).message}`);
    }
  }
  if (fields === null || typeof fields !== "object" || Array.isArray(fields)) throw new TypeError("the service account key must be a JSON object");
  const record = fields as Record<string, unknown>;
  for (const name of ["client_email", "private_key", "private_key_id"]) {
    const value = record[name];
    if (typeof value !== "string" || value === "") throw new TypeError(`the service account key has no "${name}" (a non-empty string); use the JSON key file of the service account`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(record["private_key"] as string);
  } catch (e) {
    throw new TypeError(`the service account key's "private_key" is not a PEM private key: ${(e as Error).message}`);
  }
  if (privateKey.asymmetricKeyType !== "rsa") {
    throw new TypeError(`the service account key's "private_key" is an ${privateKey.asymmetricKeyType ?? "unknown"} key; RS256 needs an RSA key`);
  }
  return { email: record["client_email"] as string, keyId: record["private_key_id"] as string, privateKey };
}
