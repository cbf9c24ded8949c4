export { dossierWorkflow } from './dossier-workflow';
export { dsnMonthWorkflow } from './dsn-month-workflow';
export { dsnRecheckWorkflow } from './dsn-recheck-workflow';
export { dsnRetentionWorkflow } from './dsn-retention-workflow';
export { insertionExportWorkflow } from './insertion-export-workflow';
export { dossierRetentionWorkflow } from './dossier-retention-workflow';
export { anomalyReportWorkflow } from './anomaly-report-workflow';
export { cepWorkflow } from './cep-workflow';
