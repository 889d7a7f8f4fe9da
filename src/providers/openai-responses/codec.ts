// The OpenAI Responses API as the server speaks it to a client: POST /v1/responses (whole and
// streamed), and, through `stateful`, the stored responses behind GET/DELETE /v1/responses/{id}.
// Errors are OpenAI's; streams always carry usage (in response.completed).

import type { WireCodec } from '../codec.js';
import { openAICodec } from '../openai/codec.js';
import { renderOpenAIError } from '../openai/error.js';
import { hasSseField } from '../shared/sse-line.js';
import { responsesState } from './conversation.js';
import { parseResponsesRequest } from './parse-request.js';
import { parseResponsesResponse } from './parse-response.js';
import { renderResponsesResponse } from './render-response.js';
import { createResponsesStreamParser } from './stream-parser.js';
import { createResponsesStreamRenderer } from './stream-renderer.js';

/** the events after which a Responses stream has nothing more to say */
const TERMINAL = ['response.completed', 'response.incomplete', 'response.failed'];

export function isResponsesTerminalChunk(raw: Buffer): boolean {
  return TERMINAL.some((t) => hasSseField(raw, 'event', t));
}

export const responsesCodec: WireCodec = {
  format: 'openai-responses',
  endpoints: { chat: '/v1/responses' },
  parseChatRequest: parseResponsesRequest,
  renderChatResponse: renderResponsesResponse,
  createStreamRenderer: createResponsesStreamRenderer,
  renderError: renderOpenAIError,
  // an OpenAI client reads the same x-ratelimit-* headers from either of its APIs
  rateLimitHeaders: openAICodec.rateLimitHeaders,
  parseChatResponse: parseResponsesResponse,
  createStreamParser: createResponsesStreamParser,
  isTerminalChunk: isResponsesTerminalChunk,
  stripInjectedUsage: (raw) => raw,
  streamUsageOnlyWhenAsked: false,
  // the stream's first events carry no usage: input and output both come in response.completed
  streamStartReportsInput: false,
  renderModelList: (models) => openAICodec.renderModelList(models),
  renderModel: (model) => openAICodec.renderModel(model),
  // its clients are OpenAI's: GET /v1/models is answered by the OpenAI codec
  claimsHeaders: () => false,
  stateful: responsesState,
};
