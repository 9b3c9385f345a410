/**
 * Host names to addresses for probes, without getaddrinfo. `dns.lookup` runs getaddrinfo on libuv's
 * thread pool (4 threads by default): four slow names would hold every other check of a batch at
 * "resolving DNS". c-ares (`dns.Resolver`) sends its queries from the event loop instead, so a slow
 * name delays only the checks that use it.
 *
 * Order, as a user reads it: the hosts file first (and `localhost`), then DNS: the first IPv4
 * address (A), or the first IPv6 address (AAAA) when the name has no IPv4 one. Single-label names
 * (`db`, `printer`) that the hosts file does not know go to the system's getaddrinfo, so that
 * search domains and other name services still apply to them.
 */
import { lookup as systemLookup, Resolver } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { PagerlessError } from './errors.ts';

export interface NameResolverOptions {
  /** DNS servers, as `1.2.3.4`, `1.2.3.4:5353` or `[::1]:53`. @default the system's (/etc/resolv.conf) */
  readonly servers?: readonly string[];
  /** Hosts file consulted before DNS. @default '/etc/hosts' */
  readonly hostsFile?: string;
  /** Timeout of one query attempt, in ms (a probe's own deadline still applies). @default c-ares' own, or resolv.conf `options timeout:` */
  readonly timeoutMs?: number;
  /** Attempts per server. @default c-ares' own, or resolv.conf `options attempts:` */
  readonly tries?: number;
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
  /** Where the answer came from. */
  source: 'hosts' | 'dns' | 'system';
}

/** A name that could not be resolved: `code` is c-ares' (ENOTFOUND is NXDOMAIN, ENODATA no address). */
export class DnsError extends PagerlessError {
  override name = 'DnsError';
  constructor(readonly hostname: string, code: string, cause?: unknown) {
    super(dnsMessage(hostname, code), { code, retryable: code !== 'ENOTFOUND' && code !== 'ENODATA' && code !== 'EBADNAME', cause });
  }
}

function dnsMessage(host: string, code: string): string {
  switch (code) {
    case 'ENOTFOUND':
      return `DNS: ${host} does not exist (NXDOMAIN)`;
    case 'ENODATA':
      return `DNS: ${host} has no IPv4 or IPv6 address`;
    case 'ESERVFAIL':
      return `DNS: the resolver failed for ${host} (SERVFAIL)`;
    case 'EREFUSED':
      return `DNS: the resolver refused to answer for ${host} (REFUSED)`;
    case 'ETIMEOUT':
      return `DNS: no answer for ${host} from the resolver (timed out)`;
    case 'ECONNREFUSED':
      return `DNS: the resolver is unreachable for ${host} (connection refused)`;
    case 'EBADNAME':
      return `DNS: ${host} is not a valid host name`;
    default:
      return `DNS lookup failed for ${host} (${code})`;
  }
}

/** How long a read of the hosts file is trusted: an edit is seen within this time. */
const HOSTS_TTL_MS = 30_000;

type HostsTable = Map<string, ResolvedAddress[]>;

/** `address name alias...` lines; `#` starts a comment; names are case-insensitive. */
export function parseHosts(text: string): HostsTable {
  const table: HostsTable = new Map();
  for (const line of text.split('\n')) {
    const [address, ...names] = line.replace(/#.*/, '').trim().split(/\s+/);
    const family = address ? net.isIP(address.replace(/%.*$/, '')) : 0;
    if (!address || (family !== 4 && family !== 6)) continue;
    for (const name of names) {
      const key = name.toLowerCase();
      const list = table.get(key) ?? [];
      list.push({ address, family, source: 'hosts' });
      table.set(key, list);
    }
  }
  return table;
}

const LOCALHOST: ResolvedAddress[] = [
  { address: '127.0.0.1', family: 4, source: 'hosts' },
  { address: '::1', family: 6, source: 'hosts' },
];

/** IPv4 first, then IPv6, each in the file's order. */
function preferred(list: ResolvedAddress[]): ResolvedAddress {
  return list.find((a) => a.family === 4) ?? list[0]!;
}

export class NameResolver {
  private resolver: Resolver | undefined;
  private hosts: { table: HostsTable; readAt: number } | undefined;
  /** Queries in flight by name: checks of one batch that share a host share its query. */
  private readonly inFlight = new Map<string, Promise<ResolvedAddress>>();

  constructor(private readonly options: NameResolverOptions = {}) {}

  /** The address to connect to. @throws DnsError */
  resolve(hostname: string): Promise<ResolvedAddress> {
    const name = hostname.toLowerCase().replace(/\.$/, '');
    const inHosts = this.fromHosts(name);
    if (inHosts) return Promise.resolve(inHosts);
    let pending = this.inFlight.get(name);
    if (!pending) {
      pending = (name.includes('.') ? this.fromDns(name) : this.fromSystem(name)).finally(() => this.inFlight.delete(name));
      this.inFlight.set(name, pending);
    }
    return pending;
  }

  private fromHosts(name: string): ResolvedAddress | undefined {
    const now = Date.now();
    if (!this.hosts || now - this.hosts.readAt > HOSTS_TTL_MS) {
      // Read synchronously: a small local file, and an async read would queue on the thread pool.
      let text = '';
      try {
        text = readFileSync(this.options.hostsFile ?? '/etc/hosts', 'utf8');
      } catch {
        // No hosts file: DNS only (and localhost).
      }
      this.hosts = { table: parseHosts(text), readAt: now };
    }
    const found = this.hosts.table.get(name);
    if (found) return preferred(found);
    // RFC 6761: localhost and its subdomains are the loopback, whatever DNS says.
    if (name === 'localhost' || name.endsWith('.localhost')) return preferred(LOCALHOST);
    return undefined;
  }

  private async fromDns(name: string): Promise<ResolvedAddress> {
    const resolver = this.dnsResolver();
    try {
      const v4 = await resolver.resolve4(name);
      if (v4[0]) return { address: v4[0], family: 4, source: 'dns' };
    } catch (err) {
      // NXDOMAIN means no record of any type; only "no A record" is worth an AAAA query.
      if (codeOf(err) !== 'ENODATA') throw new DnsError(name, codeOf(err), err);
    }
    try {
      const v6 = await resolver.resolve6(name);
      if (v6[0]) return { address: v6[0], family: 6, source: 'dns' };
    } catch (err) {
      throw new DnsError(name, codeOf(err), err);
    }
    throw new DnsError(name, 'ENODATA');
  }

  private async fromSystem(name: string): Promise<ResolvedAddress> {
    try {
      const all = await systemLookup(name, { all: true });
      const found = all.find((a) => a.family === 4) ?? all[0];
      if (!found) throw Object.assign(new Error('no address'), { code: 'ENODATA' });
      return { address: found.address, family: found.family === 6 ? 6 : 4, source: 'system' };
    } catch (err) {
      throw new DnsError(name, codeOf(err) === 'EAI_AGAIN' ? 'ETIMEOUT' : codeOf(err), err);
    }
  }

  private dnsResolver(): Resolver {
    if (!this.resolver) {
      const { timeoutMs, tries, servers } = this.options;
      this.resolver = new Resolver({ ...(timeoutMs !== undefined ? { timeout: timeoutMs } : {}), ...(tries !== undefined ? { tries } : {}) });
      if (servers) this.resolver.setServers([...servers]);
    }
    return this.resolver;
  }
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : 'EUNKNOWN';
}

/** The resolver probes use unless they are given another: the system's servers and /etc/hosts. */
export const systemResolver = new NameResolver();
