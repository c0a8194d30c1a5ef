import { describe, expect, it } from 'vitest';
import { render } from 'preact';
import { encode } from 'uqr';
import { isChallenge } from '../src/api/security';
import { parseRoute } from '../src/state/router';
import { QRCode } from '../src/ui/QRCode';
import { localToRFC3339 } from '../src/ui/admin/AdminAudit';

describe('two-factor enrolment QR code', () => {
  it('draws every dark module of the otpauth URI as an SVG square, with an accessible name', () => {
    const uri = 'otpauth://totp/Parley:li%40acme.test?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Parley';
    const root = document.createElement('div');
    render(<QRCode text={uri} label="QR code for your app" />, root);
    const svg = root.querySelector('svg')!;
    expect(svg.getAttribute('role')).toBe('img');
    expect(svg.getAttribute('aria-label')).toBe('QR code for your app');
    const dark = encode(uri, { ecc: 'M', border: 2 }).data.flat().filter(Boolean).length;
    expect(svg.querySelectorAll('g rect').length).toBe(dark);
    expect(dark).toBeGreaterThan(100);
  });
});

describe('login answers', () => {
  it('tells a second-factor challenge from a session', () => {
    expect(isChallenge({ two_factor_required: true, challenge: 'pc_x', expires_at: '2026-01-01T00:00:00.000Z' })).toBe(true);
    expect(isChallenge({ token: '', user: {} as never, two_factor_enrolment_required: false })).toBe(false);
  });
});

describe('admin and security routes', () => {
  it('parses the admin console sections and the security page', () => {
    expect(parseRoute('/admin', '')).toEqual({ name: 'admin', section: '' });
    expect(parseRoute('/admin/audit', '')).toEqual({ name: 'admin', section: 'audit' });
    expect(parseRoute('/settings/security', '')).toEqual({ name: 'security' });
    expect(parseRoute('/admin/../x', '').name).toBe('home');
  });
  it('turns the audit filter times into RFC 3339, empty when unset or invalid', () => {
    expect(localToRFC3339('')).toBe('');
    expect(localToRFC3339('nonsense')).toBe('');
    expect(localToRFC3339('2026-03-01T09:30')).toBe(new Date('2026-03-01T09:30').toISOString());
  });
});
