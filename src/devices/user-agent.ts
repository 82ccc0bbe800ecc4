import { UAParser } from 'ua-parser-js';

export interface ParsedUserAgent {
  os: string | null;
  browser: string | null;
  deviceType: string | null;
  /** A short human name such as "Safari on iOS", used when the client names no device. */
  label: string;
}

function joinVersion(name?: string, version?: string): string | null {
  if (!name) return null;
  return version ? `${name} ${version}` : name;
}

export function parseUserAgent(userAgent: string | undefined): ParsedUserAgent {
  const result = new UAParser(userAgent ?? '').getResult();
  const os = joinVersion(result.os.name, result.os.version);
  const browser = joinVersion(result.browser.name, result.browser.major);
  const label =
    result.browser.name && result.os.name
      ? `${result.browser.name} on ${result.os.name}`
      : (result.browser.name ?? result.os.name ?? 'Unknown device');
  return { os, browser, deviceType: result.device.type ?? null, label };
}

/**
 * True when two user agents plainly belong to different software (another browser family or
 * another operating system), not merely a newer version of the same one.
 */
export function isDrasticUserAgentChange(
  before: string | null | undefined,
  after: string | undefined,
): boolean {
  if (!before || !after) return false;
  const a = new UAParser(before).getResult();
  const b = new UAParser(after).getResult();
  const differs = (x?: string, y?: string): boolean => Boolean(x && y && x !== y);
  return differs(a.browser.name, b.browser.name) || differs(a.os.name, b.os.name);
}
