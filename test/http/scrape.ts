import parsePrometheusTextFormat from "parse-prometheus-text-format";
import type { PrometheusFamily, PrometheusSample } from "parse-prometheus-text-format";

export interface Answer {
  status: number;
  body: string;
  headers: Headers;
}

/** One real HTTP request to the server under test. */
export async function get(url: string, path: string, token?: string): Promise<Answer> {
  const response = await fetch(`${url}${path}`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  return { status: response.status, body: await response.text(), headers: response.headers };
}

export async function getJson<T = Record<string, unknown>>(
  url: string,
  path: string,
  token?: string,
): Promise<{ status: number; body: T }> {
  const answer = await get(url, path, token);
  return { status: answer.status, body: JSON.parse(answer.body) as T };
}

/** /metrics parsed by a Prometheus text-format parser: a malformed page throws here. */
export class Scrape {
  readonly families: Map<string, PrometheusFamily>;

  constructor(text: string) {
    this.families = new Map(parsePrometheusTextFormat(text).map((family) => [family.name, family]));
  }

  static async of(url: string, token?: string): Promise<Scrape> {
    const answer = await get(url, "/metrics", token);
    if (answer.status !== 200) throw new Error(`/metrics answered ${answer.status}: ${answer.body}`);
    return new Scrape(answer.body);
  }

  family(name: string): PrometheusFamily {
    const family = this.families.get(name);
    if (!family) throw new Error(`no metric ${name} on the page`);
    return family;
  }

  /** The sample with exactly these labels, or undefined. */
  sample(name: string, labels: Record<string, string> = {}): PrometheusSample | undefined {
    const wanted = JSON.stringify(Object.entries(labels).sort());
    return this.families
      .get(name)
      ?.metrics.find((sample) => JSON.stringify(Object.entries(sample.labels ?? {}).sort()) === wanted);
  }

  /** The value of a counter or gauge sample; undefined when the series is absent. */
  value(name: string, labels: Record<string, string> = {}): number | undefined {
    const sample = this.sample(name, labels);
    return sample?.value === undefined ? undefined : Number(sample.value);
  }
}
