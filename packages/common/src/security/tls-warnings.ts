/**
 * grpc-js names the server it connects to by its address, even when that is an IP, and
 * Node warns once per process that an IP as TLS server name is not allowed by RFC 6066
 * (DEP0123). The name is only used for SNI, which minisql's servers do not need; the
 * certificate is still checked against the IP in its subject alternative names. The
 * warning would print in the middle of the REPL's output, so this one is left out; every
 * other warning prints as before.
 */
export function hideIpServerNameWarning(): void {
  const printers = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (warning: Error & { code?: string }) => {
    if (warning.code === 'DEP0123') return;
    for (const print of printers) print(warning);
  });
}
