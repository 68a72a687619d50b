import { describe, expect, it, vi } from 'vitest';
import { CONTENT_SECURITY_POLICY, hardenContents, hardenSession, isAllowedExternal, secureWebPreferences } from '../../../src-main/app/security';
import { FakeWebContents } from './electron-mock';
import { readFileSync } from 'node:fs';
import type { Session, WebContents } from 'electron';

describe('window security', () => {
  it('turns on isolation and the sandbox, and Node off', () => {
    const prefs = secureWebPreferences('/app/preload.cjs');
    expect(prefs).toMatchObject({
      preload: '/app/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
  });

  it('blocks navigation away from the app and every new window', () => {
    const contents = new FakeWebContents();
    const openExternal = vi.fn();
    hardenContents(contents as unknown as WebContents, openExternal, (url) => url.startsWith('file:///app/'));

    const navigate = (event: string, url: string) => {
      const e = { preventDefault: vi.fn() };
      contents.emit(event, e, url);
      return e.preventDefault.mock.calls.length > 0;
    };
    expect(navigate('will-navigate', 'https://evil.example/')).toBe(true);
    expect(navigate('will-redirect', 'http://127.0.0.1:1/')).toBe(true);
    expect(navigate('will-navigate', 'file:///app/index.html#/images')).toBe(false);

    const webview = { preventDefault: vi.fn() };
    contents.emit('will-attach-webview', webview);
    expect(webview.preventDefault).toHaveBeenCalled();

    expect(contents.windowOpenHandler!({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
    expect(openExternal).not.toHaveBeenCalled();
    expect(contents.windowOpenHandler!({ url: 'https://hub.docker.com/_/busybox' })).toEqual({ action: 'deny' });
    expect(openExternal).toHaveBeenCalledWith('https://hub.docker.com/_/busybox');
  });

  it('allows only https links to known documentation hosts outside', () => {
    expect(isAllowedExternal('https://docs.docker.com/engine/')).toBe(true);
    expect(isAllowedExternal('http://docs.docker.com/')).toBe(false);
    expect(isAllowedExternal('https://docs.docker.com.evil.example/')).toBe(false);
    expect(isAllowedExternal('file:///etc/passwd')).toBe(false);
  });

  it('denies every permission and sends the CSP header', () => {
    const handlers: Record<string, (...a: unknown[]) => unknown> = {};
    const session = {
      setPermissionRequestHandler: (h: (...a: unknown[]) => unknown) => (handlers.request = h),
      setPermissionCheckHandler: (h: (...a: unknown[]) => unknown) => (handlers.check = h),
      webRequest: { onHeadersReceived: (h: (...a: unknown[]) => unknown) => (handlers.headers = h) },
    };
    hardenSession(session as unknown as Session);
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read']) {
      const callback = vi.fn();
      handlers.request({}, permission, callback);
      expect(callback).toHaveBeenCalledWith(false);
    }
    expect(handlers.check({}, 'media')).toBe(false);
    const callback = vi.fn();
    handlers.headers({ responseHeaders: { 'X-Other': ['1'] } }, callback);
    expect(callback).toHaveBeenCalledWith({
      responseHeaders: { 'X-Other': ['1'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    });
  });

  it('has a strict CSP, the same in index.html', () => {
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'self'");
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-eval');
    expect(CONTENT_SECURITY_POLICY).toContain("object-src 'none'");
    const html = readFileSync(new URL('../../../src-renderer/index.html', import.meta.url), 'utf8');
    const meta = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1];
    expect(meta).toBeDefined();
    for (const directive of ["default-src 'self'", "script-src 'self'", "object-src 'none'"]) expect(meta).toContain(directive);
    expect(meta).not.toContain('unsafe-eval');
  });
});
