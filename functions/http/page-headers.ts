/**
 * Headers of a page the worker serves itself (the experiment report, /v1/docs): its own
 * Content-Security-Policy, revalidated on every load, never framed, sniffed or referred.
 */
export function pageHeaders(contentSecurityPolicy: string): Record<string, string> {
  return {
    'Content-Security-Policy': contentSecurityPolicy,
    'Cache-Control': 'no-cache',
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
  };
}
