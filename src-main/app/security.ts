import type { BrowserWindowConstructorOptions, Session, WebContents } from 'electron';

/** The web preferences every Lighter window gets; tested so they cannot drift. */
export function secureWebPreferences(preload: string): NonNullable<BrowserWindowConstructorOptions['webPreferences']> {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    spellcheck: false,
  };
}

/** The Content-Security-Policy of the app page (also in index.html's meta tag). */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Links the app may open in the user's browser; everything else is refused. */
const EXTERNAL_ALLOWED = [/^https:\/\/hub\.docker\.com\//, /^https:\/\/docs\.docker\.com\//];

export function isAllowedExternal(url: string): boolean {
  return EXTERNAL_ALLOWED.some((pattern) => pattern.test(url));
}

/**
 * No navigation away from the app, no new windows, no webviews. Allow-listed https links go to the
 * system browser instead.
 */
export function hardenContents(contents: WebContents, openExternal: (url: string) => unknown, appUrl: (url: string) => boolean): void {
  contents.on('will-navigate', (event, url) => {
    if (!appUrl(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!appUrl(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (isAllowedExternal(url)) void openExternal(url);
    return { action: 'deny' };
  });
}

/** Deny every permission a page could ask for (camera, notifications, geolocation…) and add the CSP header. */
export function hardenSession(session: Session): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    });
  });
}
