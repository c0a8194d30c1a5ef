import { afterEach, describe, expect, it, vi } from 'vitest';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { Login } from '../src/ui/Auth';
import { AdminPolicy } from '../src/ui/admin/AdminPolicy';

const tick = () => new Promise<void>((r) => setTimeout(r, 0));

type Call = { url: string; method: string; body: unknown };

/** Stubs fetch: answers by path, records every call. */
function stubFetch(answer: (url: string, method: string) => [number, unknown]): Call[] {
  const calls: Call[] = [];
  vi.stubGlobal('fetch', vi.fn(async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    calls.push({ url, method, body: init?.body ? JSON.parse(String(init.body)) : undefined });
    const [status, body] = answer(url, method);
    return new Response(status === 204 ? null : JSON.stringify(body), { status });
  }));
  return calls;
}

describe("Parley's second step after an SSO sign-in", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    history.replaceState(null, '', '/');
  });

  it('asks for the code on /login?sso_2fa=1 and sends it without a challenge (the cookie holds it)', async () => {
    history.replaceState(null, '', '/login?sso_2fa=1');
    const calls = stubFetch((url) => {
      if (url.endsWith('/auth/login/2fa')) return [401, { error: { code: 'challenge_invalid', message: 'Sign in again.' } }];
      if (url.includes('/setup')) return [200, { needed: false }];
      return [200, { providers: [] }];
    });
    const root = document.createElement('div');
    await act(async () => { render(<Login />, root); });
    await act(tick);
    const input = root.querySelector<HTMLInputElement>('input[name=code]');
    expect(input).not.toBeNull();
    expect(root.textContent).toContain('identity provider signed you in');
    input!.value = '123456';
    await act(() => { input!.dispatchEvent(new Event('input')); });
    await act(async () => { root.querySelector('form')!.dispatchEvent(new Event('submit', { cancelable: true })); });
    await act(tick);
    const post = calls.find((c) => c.url.endsWith('/auth/login/2fa'))!;
    expect(post.method).toBe('POST');
    expect(post.body).toEqual({ code: '123456' });
    // A dead challenge sends the person back to the sign-in form, without ?sso_2fa.
    expect(location.pathname + location.search).toBe('/login');
    expect(root.querySelector('input[name=password]')).not.toBeNull();
  });
});

describe('admin policy page', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('shows and saves "single sign-on also needs two-step verification"', async () => {
    const policy = { password_min_length: 8, password_min_classes: 1, require_2fa: false, sso_require_2fa: false };
    const calls = stubFetch((_url, method) => [200, method === 'PATCH' ? { ...policy, sso_require_2fa: true } : policy]);
    const root = document.createElement('div');
    await act(async () => { render(<AdminPolicy />, root); });
    await act(tick);
    const boxes = [...root.querySelectorAll<HTMLInputElement>('input[type=checkbox]')];
    const sso = boxes.find((b) => b.parentElement!.textContent!.includes('Single sign-on also needs two-step verification'))!;
    expect(sso.checked).toBe(false);
    sso.checked = true;
    await act(() => { sso.dispatchEvent(new Event('change')); });
    await act(async () => { root.querySelector('form')!.dispatchEvent(new Event('submit', { cancelable: true })); });
    await act(tick);
    const patch = calls.find((c) => c.method === 'PATCH')!;
    expect(patch.url).toContain('/org/security-policy');
    expect(patch.body).toMatchObject({ sso_require_2fa: true, require_2fa: false });
    expect(root.querySelector('[role=status]')?.textContent).toBe('Policy saved.');
  });
});
