/**
 * Headers that belong to one connection rather than to the message (RFC 9110, "Connection"; plus the
 * proxy-* ones), so the local stack's proxies never pass them on. transfer-encoding is left to each proxy:
 * whether it may pass on depends on whether the body is streamed through or sent again whole.
 */
export const HOP_BY_HOP_HEADERS: readonly string[] = [
  'connection',
  'keep-alive',
  'proxy-authorization',
  'proxy-authenticate',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
];
