/**
 * Makes a cluster's certificate authority and the certificates of its hosts and clients
 * with openssl (ECDSA P-256). Existing files are kept: a new authority would lock every
 * running process out, so an authority is made only when there is none, and a host's
 * certificate only when it has none (delete it to make it again).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CA_CERT_DAYS, extensionsOf, HOST_CERT_DAYS, subjectOf, type CertificateSpec } from './certificate-plan.js';
import { CA_CERT_FILE, CA_KEY_FILE, certificatePaths } from './tls-identity.js';

export interface MadeCertificates {
  dir: string;
  made: string[];
  kept: string[];
}

const OPENSSL = 'openssl';
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** Makes what is missing in `dir` of the authority and of `specs` (certificatePlan(config) for a cluster). */
export function makeCertificates(dir: string, specs: readonly CertificateSpec[]): MadeCertificates {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const result: MadeCertificates = { dir, made: [], kept: [] };
  const caCert = join(dir, CA_CERT_FILE);
  const caKey = join(dir, CA_KEY_FILE);
  if (existsSync(caCert) && existsSync(caKey)) {
    result.kept.push('ca');
  } else {
    openssl([
      'req',
      '-x509',
      '-new',
      ...EC_KEY,
      '-keyout',
      caKey,
      '-out',
      caCert,
      '-days',
      String(CA_CERT_DAYS),
      '-subj',
      `/O=minisql/CN=minisql cluster authority ${randomSerial()}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    chmodSync(caKey, 0o600);
    result.made.push('ca');
  }
  const scratch = mkdtempSync(join(dir, '.making-'));
  try {
    for (const spec of specs) {
      const paths = certificatePaths(dir, spec.name);
      if (existsSync(paths.cert) && existsSync(paths.key)) {
        result.kept.push(spec.name);
        continue;
      }
      const request = join(scratch, `${spec.name}.csr`);
      const extensions = join(scratch, `${spec.name}.ext`);
      writeFileSync(extensions, extensionsOf(spec));
      openssl(['req', '-new', ...EC_KEY, '-keyout', paths.key, '-out', request, '-subj', subjectOf(spec)]);
      chmodSync(paths.key, 0o600);
      openssl([
        'x509',
        '-req',
        '-in',
        request,
        '-CA',
        caCert,
        '-CAkey',
        caKey,
        '-set_serial',
        `0x${randomSerial()}`,
        '-days',
        String(HOST_CERT_DAYS),
        '-extfile',
        extensions,
        '-out',
        paths.cert,
      ]);
      result.made.push(spec.name);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return result;
}

function openssl(args: string[]): void {
  try {
    execFileSync(OPENSSL, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'openssl is not installed (apt-get install openssl)' : stderr || (error as Error).message;
    throw new Error(`making certificates failed: openssl ${args[0]}: ${why}`, { cause: error });
  }
}

function randomSerial(): string {
  return randomBytes(15).toString('hex');
}
