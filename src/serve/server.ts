// Listening on a port with @hono/node-server: resolves once bound (port 0 = any free port) with
// the URL and a close() that stops accepting and ends open connections (SSE streams included).
// Not here: routes (openai-app.ts, dashboard-app.ts) or the warning about non-loopback hosts (cli).
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

export function listen(app: Hono, options: { host: string; port: number }): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: options.host, port: options.port }, (info: AddressInfo) => {
      const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
      resolve({
        url: `http://${host}:${info.port}`,
        close: () => new Promise<void>((done) => {
          const http = server as Server;
          http.close(() => done());
          http.closeAllConnections();
        }),
      });
    });
    server.once('error', reject);
  });
}
