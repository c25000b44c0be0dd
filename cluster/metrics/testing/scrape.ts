/** Test helper: reads a metrics endpoint over HTTP as Prometheus would. */

/** Fetches `url` and returns the exposition text; throws on any answer but 200. */
export async function scrape(url: string): Promise<string> {
  const response = await fetch(url);
  const text = await response.text();
  if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}: ${text}`);
  return text;
}

/**
 * The value of one series in exposition text, or undefined when it is absent. `series` is the
 * name with its labels as the server writes them, e.g. `teambooth_jobs{state="queued"}`.
 */
export function sampleValue(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}
