/**
 * The certificates a process presents and trusts. Every host of a cluster has a key and
 * a certificate signed by the cluster's own authority (`minisql-cluster certs`), named
 * after the host; clients (the REPL, the tester, benches) use `client`. A certificate
 * says who holds it: its common name is the host's name and its organisational units are
 * the host's roles, so a server can tell the master from a region, and one region from
 * another, without asking anyone.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { errors } from '../errors.js';

/** The name of the certificate that clients present (the REPL, scripts, the tester). */
export const CLIENT_CERT_NAME = 'client';
/** The cluster's authority: its certificate is what every process trusts. */
export const CA_CERT_FILE = 'ca.crt';
export const CA_KEY_FILE = 'ca.key';

export interface TlsIdentity {
  /** The name in the certificate (a host of the configuration, or `client`). */
  name: string;
  /** The cluster's authority, the only issuer trusted. */
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

export function certificatePaths(certsDir: string, name: string): { ca: string; cert: string; key: string } {
  return { ca: join(certsDir, CA_CERT_FILE), cert: join(certsDir, `${name}.crt`), key: join(certsDir, `${name}.key`) };
}

/**
 * Reads the authority, certificate and key of `name` from `certsDir`. A missing file, or
 * a key that others can read, is an INVALID_CONFIG error naming the file and the command
 * that makes it.
 */
export function loadTlsIdentity(certsDir: string, name: string): TlsIdentity {
  const paths = certificatePaths(certsDir, name);
  const read = (path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (error) {
      const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : (error as Error).message;
      throw errors.invalidConfig(certsDir, path, `${why}: make the certificates with \`minisql-cluster certs --config FILE\` (docs/security.md)`);
    }
  };
  const identity = { name, ca: read(paths.ca), cert: read(paths.cert), key: read(paths.key) };
  const mode = statSync(paths.key).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw errors.invalidConfig(
      certsDir,
      paths.key,
      `can be read by others (mode ${mode.toString(8)}): a private key must be mode 600 (chmod 600 ${paths.key})`,
    );
  }
  return identity;
}

/** A user's name and password, sent on every call as metadata, and only inside TLS. */
export interface Login {
  user: string;
  password: string;
}

export const USER_METADATA_KEY = 'x-minisql-user';
export const PASSWORD_METADATA_KEY = 'x-minisql-password';

/**
 * What a channel presents: the identity's certificate, trusting only the cluster's
 * authority, and the login on every call; plaintext without an identity. grpc-js refuses
 * call credentials on a plaintext channel, so a password never leaves without TLS.
 */
export function channelCredentials(identity: TlsIdentity | undefined, login?: Login): grpc.ChannelCredentials {
  if (!identity) return grpc.credentials.createInsecure();
  const tls = grpc.credentials.createSsl(identity.ca, identity.key, identity.cert);
  if (!login) return tls;
  const perCall = grpc.credentials.createFromMetadataGenerator((_params, callback) => {
    const metadata = new grpc.Metadata();
    metadata.set(USER_METADATA_KEY, login.user);
    metadata.set(PASSWORD_METADATA_KEY, login.password);
    callback(null, metadata);
  });
  return grpc.credentials.combineChannelCredentials(tls, perCall);
}

/** What a server presents; with an identity it also demands a certificate of the cluster from every caller (mutual TLS). */
export function serverCredentials(identity: TlsIdentity | undefined): grpc.ServerCredentials {
  return identity
    ? grpc.ServerCredentials.createSsl(identity.ca, [{ private_key: identity.key, cert_chain: identity.cert }], true)
    : grpc.ServerCredentials.createInsecure();
}
