import { UAParser } from 'ua-parser-js';

export interface ParsedUserAgent {
  os: string | null;
  browser: string | null;
  deviceType: string | null;
  /** A short human name such as "Safari on iOS", used when the client names no device. */
  label: string;
}

/** The devices columns these fields land in (os, browser, platform: 50; name: 100). */
export const DEVICE_FIELD_MAX = 50;
export const DEVICE_NAME_MAX = 100;

/**
 * The User-Agent is attacker-controlled: an 80-digit "Android" version must not overflow a
 * column (a 500). Cut by code point, so no surrogate pair is split.
 */
export function clip(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length > max ? chars.slice(0, max).join('') : text;
}

function joinVersion(name?: string, version?: string): string | null {
  if (!name) return null;
  return clip(version ? `${name} ${version}` : name, DEVICE_FIELD_MAX);
}

export function parseUserAgent(userAgent: string | undefined): ParsedUserAgent {
  const result = new UAParser(userAgent ?? '').getResult();
  const os = joinVersion(result.os.name, result.os.version);
  const browser = joinVersion(result.browser.name, result.browser.major);
  const label =
    result.browser.name && result.os.name
      ? `${result.browser.name} on ${result.os.name}`
      : (result.browser.name ?? result.os.name ?? 'Unknown device');
  const deviceType = result.device.type ? clip(result.device.type, DEVICE_FIELD_MAX) : null;
  return { os, browser, deviceType, label: clip(label, DEVICE_NAME_MAX) };
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
