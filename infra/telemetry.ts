import { hostname } from 'node:os';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import type { Span, Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter as OtlpJson } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProto } from '@opentelemetry/exporter-trace-otlp-proto';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  OpenTelemetryPlugin,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { Env } from './env';
import type { Logger } from './logger';

/** Tracing as one process runs it: nothing at all unless an OTLP endpoint is configured. */
export interface Telemetry {
  tracer: Tracer | null;
  /** For a client: its calls carry the current trace to the workflows. */
  clientInterceptors: { workflow: OpenTelemetryWorkflowClientInterceptor[] } | undefined;
  /** For a worker: workflow, update and activity spans, linked to the caller's trace. */
  workerPlugin: OpenTelemetryPlugin | undefined;
  /** Flush and stop (at shutdown). */
  shutdown: () => Promise<void>;
}

/**
 * OpenTelemetry, from the standard variables (OTLP over HTTP, `http/json` or `http/protobuf`):
 * one trace per partner call across the API, the Temporal client, the workflow's update and the
 * activities it runs. Spans carry routes, workflow ids (`dossier-{id}`: business keys) and
 * statuses, never a body, a query string or a payload: no personal data.
 */
export function startTelemetry(
  service: string,
  env: Pick<Env, 'OTEL_EXPORTER_OTLP_ENDPOINT' | 'OTEL_EXPORTER_OTLP_PROTOCOL' | 'OTEL_SERVICE_NAME'>,
  logger: Logger,
): Telemetry {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT) {
    return {
      tracer: null,
      clientInterceptors: undefined,
      workerPlugin: undefined,
      shutdown: async () => undefined,
    };
  }
  // Exports that fail (the collector away, a span it refuses) are told in the process's own log.
  const say =
    (level: 'warn' | 'error') =>
    (message: string, ...args: unknown[]) =>
      logger[level]({ otel: args.map(String) }, `OpenTelemetry: ${message}`);
  diag.setLogger(
    { error: say('error'), warn: say('warn'), info: () => {}, debug: () => {}, verbose: () => {} },
    DiagLogLevel.WARN,
  );
  const url = `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/$/, '')}/v1/traces`;
  const exporter =
    env.OTEL_EXPORTER_OTLP_PROTOCOL === 'http/json' ? new OtlpJson({ url }) : new OtlpProto({ url });
  // Which instance: several APIs and workers run side by side.
  const resource = new Resource({
    'service.name': env.OTEL_SERVICE_NAME ?? `agora-flow-${service}`,
    'service.instance.id': `${hostname()}:${process.pid}`,
  });
  const processor: SpanProcessor = new BatchSpanProcessor(exporter, { scheduledDelayMillis: 1000 });
  const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
  // Global: the request's span stays current across the awaits of its handler (then the Temporal
  // client's), and W3C trace context travels in the Temporal headers to the workflow and activities.
  provider.register({ contextManager: new AsyncLocalStorageContextManager().enable() });
  const tracer = provider.getTracer('agora-flow');
  return {
    tracer,
    clientInterceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor({ tracer })] },
    workerPlugin: new OpenTelemetryPlugin({ resource, spanProcessor: processor, tracer }),
    shutdown: () => provider.shutdown(),
  };
}

/** Run `fn` in a new span, current for everything it awaits; the span ends with it. */
export async function inSpan<T>(tracer: Tracer, name: string, fn: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, async (span) => {
    try {
      return await fn(span);
    } finally {
      span.end();
    }
  });
}
