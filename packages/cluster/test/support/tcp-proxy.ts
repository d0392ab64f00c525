/**
 * A TCP proxy on loopback that a test can cut: while cut, nothing passes in either
 * direction and new connections hang, as behind a dropped network link (iptables DROP),
 * not refused. Used to cut one region off from etcd and nobody else.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export class TcpProxy {
  private cutOff = false;
  private readonly pairs = new Set<[Socket, Socket]>();
  /**
   * Connections accepted while cut, held paused. Kept so close() can end them: a paused
   * socket reads nothing, so it never sees its peer go, and the server would wait for it.
   */
  private readonly held = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static start(targetPort: number): Promise<TcpProxy> {
    return new Promise((resolve) => {
      let proxy: TcpProxy | undefined;
      const server = createServer((client) => proxy?.accept(client, targetPort));
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        proxy = new TcpProxy(server, typeof address === 'object' && address ? address.port : 0);
        resolve(proxy);
      });
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Stops all traffic; established connections stay open but silent. */
  cut(): void {
    this.cutOff = true;
    for (const [a, b] of this.pairs) {
      a.pause();
      b.pause();
    }
  }

  /**
   * Lets traffic pass again. Connections from before the cut lost data while it lasted,
   * so they are closed: the programs reconnect, as after a real outage.
   */
  heal(): void {
    this.cutOff = false;
    for (const [a, b] of this.pairs) {
      a.destroy();
      b.destroy();
    }
    this.pairs.clear();
    for (const socket of this.held) socket.destroy();
    this.held.clear();
  }

  async close(): Promise<void> {
    for (const [a, b] of this.pairs) {
      a.destroy();
      b.destroy();
    }
    for (const socket of this.held) socket.destroy();
    this.held.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket, targetPort: number): void {
    client.on('error', () => undefined);
    if (this.cutOff) {
      client.pause(); // a connection into a dropped link: it never gets anywhere
      this.held.add(client);
      client.on('close', () => this.held.delete(client));
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    const forget = (): void => void this.pairs.delete(pair);
    client.on('close', forget);
    upstream.on('close', forget);
    client.on('data', (chunk) => {
      if (!this.cutOff) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!this.cutOff) client.write(chunk);
    });
  }
}
