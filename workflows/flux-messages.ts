/** A partner file's workflow id (CONTRACT.md: visible in the Temporal UI as `flux-{fluxId}`). */
export const fluxWorkflowId = (fluxId: string) => `flux-${fluxId}`;
