import type { Response } from 'supertest';

/**
 * A minimal browser cookie jar for one host (supertest or fetch responses): applies Set-Cookie (a cookie with Max-Age=0 or an
 * Expires in the past is dropped) and renders the Cookie header.
 */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  apply(res: Response): this {
    const raw = res.headers['set-cookie'] as unknown as string[] | string | undefined;
    return this.applyLines(raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]);
  }

  /** Set-Cookie lines as fetch gives them (`response.headers.getSetCookie()`). */
  applyLines(lines: readonly string[]): this {
    for (const line of lines) {
      const [pair, ...attributes] = line.split(';').map((part) => part.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const expired = attributes.some((attribute) => {
        const [key, val = ''] = attribute.split('=');
        if (key.toLowerCase() === 'max-age') return Number(val) <= 0;
        if (key.toLowerCase() === 'expires') return Date.parse(val) <= Date.now();
        return false;
      });
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return this;
  }

  has(name: string): boolean {
    return this.cookies.has(name);
  }

  get(name: string): string | undefined {
    return this.cookies.get(name);
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}
