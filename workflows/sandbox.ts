/**
 * Loaded once in each V8 context of workflows, before the first workflow and before the SDK freezes
 * the context's globals (worker/bundle-options.ts, `preloadModules`): errors created by workflow
 * code capture no call stack. The SDK records a stack for every promise a workflow creates (the
 * Web UI's "Stack Trace" tab): mapped through the bundle's source map, that capture took over a
 * quarter of the workflow thread's CPU (docs/PERFORMANCE.md, "National scale, session 13"). A
 * failure keeps its message and type; a worker started with AGORA_WORKFLOW_STACK_TRACES=1 keeps
 * the stacks, to debug a workflow.
 */
Error.stackTraceLimit = 0;

export {};
