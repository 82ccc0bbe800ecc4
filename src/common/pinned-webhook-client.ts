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

/** What a receiver answered: its status and (for error reporting) the start of its body. */
export interface PinnedResponse {
  status: number;
  /** At most RESPONSE_BODY_LIMIT bytes of the body, as UTF-8. */
  body: string;
}

/** Enough for an RFC 8935 `{err, description}` answer; the rest is discarded unread. */
const RESPONSE_BODY_LIMIT = 4096;

/**
 * POSTs to a webhook after re-checking its URL now (DNS may have changed since creation) and
 * pins the connection to the checked addresses. Redirects are not followed. Resolves with the
 * status code as soon as the answer's head arrives (the body is discarded); rejects on network
 * errors, refusal (AppException) or abort (with the signal's reason, so a timeout stays a
 * TimeoutError).
 */
export async function postToWebhook(
  target: string,
  post: WebhookPost,
  policy: WebhookTargetPolicy,
  resolveAll: ResolveAll = systemResolveAll,
): Promise<number> {
  return (await postPinned(target, post, policy, resolveAll, false)).status;
}

/**
 * postToWebhook that can also read the start of the answer (an SSF push receiver explains a
 * refused SET in its body). With `readBody` the promise waits for the body's end (or abort).
 */
export async function postPinned(
  target: string,
  post: WebhookPost,
  policy: WebhookTargetPolicy,
  resolveAll: ResolveAll = systemResolveAll,
  readBody = true,
): Promise<PinnedResponse> {
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
  return new Promise<PinnedResponse>((resolve, reject) => {
    const fail = (error: Error): void => {
      const reason: unknown = post.signal.aborted ? post.signal.reason : undefined;
      reject(reason instanceof Error ? reason : error);
    };
    const req = send(url, options, (res) => {
      const status = res.statusCode ?? 0;
      if (!readBody) {
        res.resume();
        resolve({ status, body: '' });
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size < RESPONSE_BODY_LIMIT) chunks.push(chunk.subarray(0, RESPONSE_BODY_LIMIT - size));
        size += chunk.length;
      });
      res.on('end', () => resolve({ status, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', fail);
    });
    req.on('error', fail);
    req.end(post.body);
  });
}
