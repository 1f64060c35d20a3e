import { toDeskError } from "./api/desk";

/** An office's certificate the officer is asked to compare before trusting it. */
export interface CertificateToCompare {
  office: string;
  fingerprint: string;
}

/**
 * What a failed sign-in asks the officer to compare: only a certificate the desk does not know
 * (no CA file, not in the system's store), never a changed pinned one, which must be cleared
 * in the settings on purpose.
 */
export function certificateToCompare(error: unknown, office: string): CertificateToCompare | null {
  const e = toDeskError(error);
  if (e.code !== "certificate_unknown" || !e.certificate) return null;
  return { office, fingerprint: e.certificate.presented };
}
