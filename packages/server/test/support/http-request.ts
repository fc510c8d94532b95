import { request, type IncomingHttpHeaders } from 'node:http';

/** What a plain HTTP request got back. */
export interface HttpReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Sends one request (with `body` as text, when given) on a fresh connection (no keep-alive, so nothing outlives the test) and reads the whole reply. */
export function httpRequest(url: string, method = 'GET', body?: string): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const headers = body === undefined ? {} : { 'content-type': 'text/plain;charset=UTF-8' };
    const outgoing = request(url, { method, agent: false, headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
