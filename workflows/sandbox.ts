/**
 * Loaded once in each V8 context of workflows, before the first workflow and before the SDK freezes
 * the context's globals (worker/bundle-options.ts, `preloadModules`): errors created by workflow
 * code capture no call stack. The SDK records a stack for every promise a workflow creates (the
 * Web UI's "Stack Trace" tab): mapped through the bundle's source map, that capture cost about a
 * sixth of the workflow thread's CPU on every workflow task (docs/PERFORMANCE.md, "Month
 * wake-up"). A failure keeps its message and type; a worker started with
 * AGORA_WORKFLOW_STACK_TRACES=1 keeps the stacks, to debug a workflow.
 */
Error.stackTraceLimit = 0;

export {};
