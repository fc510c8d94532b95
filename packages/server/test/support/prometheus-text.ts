/** A scrape in the Prometheus text exposition format, split into what a test checks. */
export interface ParsedScrape {
  /** `# TYPE` per metric name. */
  types: Map<string, string>;
  /** `# HELP` per metric name. */
  help: Map<string, string>;
  /** Sample values keyed `name` or `name{label="value",…}` exactly as exposed. */
  values: Map<string, number>;
}

/** Parses exposition text (no timestamps, as prom-client writes it). */
export function parseScrape(text: string): ParsedScrape {
  const scrape: ParsedScrape = { types: new Map(), help: new Map(), values: new Map() };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const comment = /^# (TYPE|HELP) (\S+) (.*)$/.exec(line);
    if (comment) {
      const [, kind, name, rest] = comment as unknown as [string, string, string, string];
      (kind === 'TYPE' ? scrape.types : scrape.help).set(name, rest);
      continue;
    }
    const separator = line.lastIndexOf(' ');
    scrape.values.set(line.slice(0, separator), Number(line.slice(separator + 1)));
  }
  return scrape;
}
