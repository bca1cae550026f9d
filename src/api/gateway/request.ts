/**
 * An HTTP request read into what the API works on: the path, the query's parameters, those
 * merged with a form body's, the headers (each with all its values), and the raw body (the
 * ACS3 scheme signs its hash). Bodies are bounded; a request over the bound is refused early.
 */
import type { IncomingMessage } from 'node:http';
import { ApiFailure } from './api-failure.js';
import { readForm } from './form.js';
import type { Parameters } from './form.js';

export interface ApiRequest {
  method: string;
  /** As received, not decoded (it is signed as sent). */
  path: string;
  query: Parameters;
  /** The query's parameters and the form body's, each name once. */
  parameters: Parameters;
  headers: Readonly<Record<string, string[] | undefined>>;
  body: Buffer;
}

const FORM = 'application/x-www-form-urlencoded';
const EMPTY = Buffer.alloc(0);
const utf8 = new TextDecoder('utf-8', { fatal: true });

export async function readApiRequest(incoming: IncomingMessage, maxBodyBytes: number): Promise<ApiRequest> {
  const target = incoming.url ?? '/';
  const mark = target.indexOf('?');
  const path = mark === -1 ? target : target.slice(0, mark);
  const query = readForm(mark === -1 ? '' : target.slice(mark + 1), new Map());
  const body = await readBody(incoming, maxBodyBytes);
  const parameters = new Map(query);
  if (body.length > 0) {
    const type = (incoming.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== FORM) {
      throw ApiFailure.of('InvalidParameter', `A body of Content-Type "${type || 'none'}" is not accepted: send parameters in the query or as ${FORM}.`);
    }
    readForm(textOf(body), parameters);
  }
  return { method: incoming.method ?? 'GET', path, query, parameters, headers: incoming.headersDistinct, body };
}

function textOf(body: Buffer): string {
  try {
    return utf8.decode(body);
  } catch {
    throw ApiFailure.of('InvalidParameter', 'The form body is not valid UTF-8.');
  }
}

/** The whole body, or a 413 as soon as it is known to exceed `limit` (the rest is not read). */
function readBody(incoming: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(incoming.headers['content-length'] ?? 0);
  if (declared > limit) return Promise.reject(tooLarge(limit));
  if (incoming.complete) return Promise.resolve(EMPTY);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        incoming.off('data', onData);
        incoming.pause();
        reject(tooLarge(limit));
      } else {
        chunks.push(chunk);
      }
    };
    incoming.on('data', onData);
    incoming.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : chunks.length === 0 ? EMPTY : Buffer.concat(chunks, size)));
    incoming.once('error', reject);
    incoming.once('aborted', () => reject(ApiFailure.of('BadRequest', 'The request was aborted before its body ended.')));
  });
}

function tooLarge(limit: number): ApiFailure {
  return ApiFailure.of('RequestEntityTooLarge', `The request body exceeds the limit of ${limit} bytes.`);
}
