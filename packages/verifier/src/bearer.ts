/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const match = /^Bearer +([A-Za-z0-9\-_.~+/]+=*) *$/i.exec(value ?? '');
  return match?.[1];
}
