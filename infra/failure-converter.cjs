// Loaded by path (DataConverter.failureConverterPath): by every client and worker with require, and
// bundled into the workflow sandbox. Plain CommonJS so that both take it as it is.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS on purpose (above)
const { DefaultFailureConverter } = require('@temporalio/common');

/**
 * Failure messages and stack traces travel encoded, through the payload codec, like payloads: a
 * refusal or a database error may quote a dossier (CONTRACT.md: no personal data in clear in
 * Temporal's history).
 */
module.exports.failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
