export { dossierWorkflow } from './dossier-workflow';
