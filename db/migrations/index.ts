import { Migration20261129000000_init } from './Migration20261129000000_init';
import { Migration20261129010000_dsn } from './Migration20261129010000_dsn';
import { Migration20261129020000_privacy } from './Migration20261129020000_privacy';
import { Migration20261129030000_tokens } from './Migration20261129030000_tokens';
import { Migration20261130000000_indicators } from './Migration20261130000000_indicators';
import { Migration20261201000000_projection_intents } from './Migration20261201000000_projection_intents';
import { Migration20261202000000_ledger } from './Migration20261202000000_ledger';
import { Migration20261203000000_sessions } from './Migration20261203000000_sessions';
import { Migration20261203010000_key_fingerprint } from './Migration20261203010000_key_fingerprint';
import { Migration20261204000000_prefixes } from './Migration20261204000000_prefixes';
import { Migration20261205000000_anomalies } from './Migration20261205000000_anomalies';
import { Migration20261206000000_cep } from './Migration20261206000000_cep';
import { Migration20261207000000_cep_links } from './Migration20261207000000_cep_links';
import { Migration20261208000000_cep_follow_up } from './Migration20261208000000_cep_follow_up';
import { Migration20261209000000_cep_retention } from './Migration20261209000000_cep_retention';
import { Migration20261210000000_certification } from './Migration20261210000000_certification';
import { Migration20261211000000_piloting } from './Migration20261211000000_piloting';
import { Migration20261211010000_open_data } from './Migration20261211010000_open_data';
import { Migration20261212000000_changes } from './Migration20261212000000_changes';
import { Migration20261213000000_webhooks } from './Migration20261213000000_webhooks';
import { Migration20261214000000_agents } from './Migration20261214000000_agents';
import { Migration20261215000000_changes_parties } from './Migration20261215000000_changes_parties';
import { Migration20261216000000_open_data_order } from './Migration20261216000000_open_data_order';
import { Migration20261217000000_console_sessions } from './Migration20261217000000_console_sessions';
import { Migration20261218000000_name_search } from './Migration20261218000000_name_search';
import { Migration20261219000000_flux } from './Migration20261219000000_flux';
import { Migration20261220000000_pending_load } from './Migration20261220000000_pending_load';
import { Migration20261221000000_dsn_nir_key } from './Migration20261221000000_dsn_nir_key';
import { Migration20261222000000_changes_version } from './Migration20261222000000_changes_version';

/** Every committed migration, in order (listed explicitly: no file globbing at run time). */
export const migrationsList = [
  { name: 'Migration20261129000000_init', class: Migration20261129000000_init },
  { name: 'Migration20261129010000_dsn', class: Migration20261129010000_dsn },
  { name: 'Migration20261129020000_privacy', class: Migration20261129020000_privacy },
  { name: 'Migration20261129030000_tokens', class: Migration20261129030000_tokens },
  { name: 'Migration20261130000000_indicators', class: Migration20261130000000_indicators },
  {
    name: 'Migration20261201000000_projection_intents',
    class: Migration20261201000000_projection_intents,
  },
  { name: 'Migration20261202000000_ledger', class: Migration20261202000000_ledger },
  { name: 'Migration20261203000000_sessions', class: Migration20261203000000_sessions },
  { name: 'Migration20261203010000_key_fingerprint', class: Migration20261203010000_key_fingerprint },
  { name: 'Migration20261204000000_prefixes', class: Migration20261204000000_prefixes },
  { name: 'Migration20261205000000_anomalies', class: Migration20261205000000_anomalies },
  { name: 'Migration20261206000000_cep', class: Migration20261206000000_cep },
  { name: 'Migration20261207000000_cep_links', class: Migration20261207000000_cep_links },
  { name: 'Migration20261208000000_cep_follow_up', class: Migration20261208000000_cep_follow_up },
  { name: 'Migration20261209000000_cep_retention', class: Migration20261209000000_cep_retention },
  { name: 'Migration20261210000000_certification', class: Migration20261210000000_certification },
  { name: 'Migration20261211000000_piloting', class: Migration20261211000000_piloting },
  { name: 'Migration20261211010000_open_data', class: Migration20261211010000_open_data },
  { name: 'Migration20261212000000_changes', class: Migration20261212000000_changes },
  { name: 'Migration20261213000000_webhooks', class: Migration20261213000000_webhooks },
  { name: 'Migration20261214000000_agents', class: Migration20261214000000_agents },
  { name: 'Migration20261215000000_changes_parties', class: Migration20261215000000_changes_parties },
  { name: 'Migration20261216000000_open_data_order', class: Migration20261216000000_open_data_order },
  { name: 'Migration20261217000000_console_sessions', class: Migration20261217000000_console_sessions },
  { name: 'Migration20261218000000_name_search', class: Migration20261218000000_name_search },
  { name: 'Migration20261219000000_flux', class: Migration20261219000000_flux },
  { name: 'Migration20261220000000_pending_load', class: Migration20261220000000_pending_load },
  { name: 'Migration20261221000000_dsn_nir_key', class: Migration20261221000000_dsn_nir_key },
  { name: 'Migration20261222000000_changes_version', class: Migration20261222000000_changes_version },
];
