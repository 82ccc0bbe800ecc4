import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import {
  assertSafeWebhookUrl,
  type ResolveAll,
  type ResolvedAddress,
  systemResolveAll,
  type WebhookTargetPolicy,
} from './webhook-target-guard';

/**
 * A `lookup` that answers with addresses already resolved and checked, never asking DNS again:
 * the socket connects to exactly what was checked, so a DNS answer that changes between the
 * check and the connect (rebinding) cannot redirect the request to an internal address.
 */
export function pinnedLookup(addresses: readonly ResolvedAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) {
      callback(
        null,
        addresses.map(({ address, family }) => ({ address, family })),
      );
      return;
    }
    const wanted = options.family === 4 || options.family === 6 ? options.family : undefined;
    const pick = addresses.find(({ family }) => !wanted || family === wanted) ?? addresses[0];
    callback(null, pick.address, pick.family);
  };
}

export interface WebhookPost {
  headers: Record<string, string>;
  body: string;
  signal: AbortSignal;
}

/**
 * POSTs to a webhook after re-checking its URL now (DNS may have changed since creation) and
 * pins the connection to the checked addresses. Redirects are not followed. Resolves with the
 * status code; rejects on network errors, refusal (AppException) or abort (with the signal's
 * reason, so a timeout stays a TimeoutError).
 */
export async function postToWebhook(
  target: string,
  post: WebhookPost,
  policy: WebhookTargetPolicy,
  resolveAll: ResolveAll = systemResolveAll,
): Promise<number> {
  const { url, addresses } = await assertSafeWebhookUrl(target, policy, resolveAll);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const options: RequestOptions = {
    method: 'POST',
    headers: { ...post.headers, 'Content-Length': Buffer.byteLength(post.body) },
    lookup: pinnedLookup(addresses),
    // No pooled socket: a kept-alive connection would bypass the next delivery's check.
    agent: false,
    signal: post.signal,
  };
  return new Promise<number>((resolve, reject) => {
    const req = send(url, options, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', (error) => {
      const reason: unknown = post.signal.aborted ? post.signal.reason : undefined;
      reject(reason instanceof Error ? reason : error);
    });
    req.end(post.body);
  });
}
