import { parseArgs } from 'node:util';
import { demo } from './commands/demo';
import { dossierList, dossierShow } from './commands/dossiers';
import { dsnImport, dsnMonths } from './commands/dsn';
import { cepList, cepOpen, cepShow, cepStatsCommand } from './commands/cep';
import { exportInsertionCommand } from './commands/export';
import { partnerCreate, partnerList, partnerToken } from './commands/partners';
import { referentielImport } from './commands/referentiel';
import { changesCommand } from './commands/changes';
import { fluxCommand } from './commands/flux';
import { setup } from './commands/setup';
import { type Command, UsageError } from './context';

const HELP = `agora: the agora-flow operator CLI

Usage: npx agora <command> [options]

Commands:
  setup                                                     make TEMPORAL_NAMESPACE ready: search attributes,
                                                            Schedules, retention checked (idempotent); where
                                                            the credentials do not allow it, exits 1 with the
                                                            exact temporal/tcld commands to run
  partner create --siret S --name N --kind K [--region R] [--reseau N] [--prefix P ...]
                                                            create a partner (owning the dossierId
                                                            prefixes P; a CEP_OPERATEUR names its
                                                            reseau N); prints its token once
  partner list                                              list the partners and their tokens
  partner token add PARTNER_ID                              another token for the partner (rotation)
  partner token revoke PARTNER_ID TOKEN_ID                  revoke a token
  dossier show ID                                           a dossier's current state (its workflow, else its record)
  dossier history ID                                        a dossier's accepted events, oldest first
  dossier list [--status S] [--region R] [--limit N]        dossiers from the read model, newest first
  cep open FILE --siret S                                   open a CEP period (JSON body of POST /v1/cep/periodes)
                                                            as the operator of SIRET S, with the API's checks
  cep show ID                                               a CEP period's current state (NIR masked)
  cep list [--status S] [--region R] [--limit N]            every operator's periods, newest first
  cep stats [--by operateur|reseau|region|situation|objectif] [--region R]
                                                            the CEP figures of GET /v1/stats/cep, all periods
  dsn import FILE --month YYYY-MM [--format csv|ndjson]
                                                            load a DSN month (replaces it), with progress
  dsn months                                                the loaded DSN months
  referentiel import PATH                                   load France compétences' RNCP/RS export (the zip
                                                            export-fiches-csv-YYYY-MM-DD.zip or its folder):
                                                            replaces the referential, with progress
  changes [--follow] [--cursor C] [--token T] [--url U]
                                                            the change feed as NDJSON (a partner's token:
                                                            AGORA_TOKEN or --token; default the admin's);
                                                            --follow keeps asking; the cursor to resume from
                                                            goes to stderr
  flux send FILE [--token T] [--url U]                      send a partner file (NDJSON, CONTRACT.md "Partner
                                                            files") with the partner's token (AGORA_TOKEN or
                                                            --token), with a progress bar; lists the refused
                                                            lines; exit code 3 when some were refused
  demo [--dossiers N]                                       load the demo data set through the running API
                                                            (partners, DSN months, N dossiers; default 1500)
  export insertion --region XX [--out FILE|-]               a region's insertion file (all regions without
                                                            --region), with progress; by default under
                                                            .data/exports/insertion/DATE/ with its manifest

Every command reads the same environment as the API (DATABASE_URL, TEMPORAL_ADDRESS, ...).
Options: --json for machine-readable output, --help for this text.`;

/** HELP's lines for the commands of one group (`npx agora flux --help`); null for no such group. */
function helpFor(group: string): string | null {
  const entries: string[][] = [];
  for (const line of HELP.split('\n')) {
    if (/^ {2}\S/.test(line)) entries.push([line]);
    else if (/^ {3,}\S/.test(line) && entries.length > 0) entries.at(-1)!.push(line);
  }
  const mine = entries.filter((e) => e[0]!.trim().split(' ')[0] === group);
  if (mine.length === 0) return null;
  return `Usage: npx agora ${group} ...\n\n${mine.map((e) => e.join('\n')).join('\n')}\n\nnpx agora --help for every command.`;
}

/** Each command, by its first two words (one file per group under cli/commands/). */
const COMMANDS: Record<string, Command> = {
  setup,
  'partner create': partnerCreate,
  'partner token': partnerToken,
  'partner list': partnerList,
  'dossier show': dossierShow,
  'dossier history': dossierShow,
  'dossier list': dossierList,
  'cep open': cepOpen,
  'cep show': cepShow,
  'cep list': cepList,
  'cep stats': cepStatsCommand,
  'dsn import': dsnImport,
  'dsn months': dsnMonths,
  'referentiel import': referentielImport,
  changes: changesCommand,
  'flux send': fluxCommand,
  demo,
  'export insertion': exportInsertionCommand,
};

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      json: { type: 'boolean' },
      siret: { type: 'string' },
      name: { type: 'string' },
      kind: { type: 'string' },
      region: { type: 'string' },
      reseau: { type: 'string' },
      prefix: { type: 'string', multiple: true },
      status: { type: 'string' },
      limit: { type: 'string' },
      month: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      dossiers: { type: 'string' },
      by: { type: 'string' },
      follow: { type: 'boolean' },
      cursor: { type: 'string' },
      token: { type: 'string' },
      url: { type: 'string' },
    },
  });
  const [group, command, arg] = positionals;
  if (values.help || !group) {
    console.log((group && helpFor(group)) ?? HELP);
    return 0;
  }
  const name = `${group} ${command ?? ''}`.trim();
  const run = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!run) throw new UsageError(`unknown command: ${positionals.join(' ')}\n\n${helpFor(group) ?? HELP}`);
  return run({ values, positionals, command, arg, json: values.json ?? false });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`agora: ${(e as Error).message}`);
      process.exit(2);
    }
    console.error(`agora: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
