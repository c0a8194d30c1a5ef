// Admin console: the organisation's password and two-factor policy.
import { useEffect, useState } from 'preact/hooks';
import { securityApi, type SecurityPolicy } from '../../api/security';
import { t } from '../../i18n';
import { errorText } from '../Security';

export function AdminPolicy() {
  const [p, setP] = useState<SecurityPolicy | null>(null);
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  useEffect(() => { securityApi.policy().then(setP, (x) => setMsg({ ok: false, text: errorText(x) })); }, []);
  if (!p) return msg ? <p class="error-text" role="alert">{msg.text}</p> : <p class="muted" role="status">{t('common.loading')}</p>;
  return (
    <section aria-labelledby="policy-title">
      <h2 id="policy-title">{t('admin.security')}</h2>
      <form class="form card" onSubmit={async (e) => {
        e.preventDefault();
        setMsg(null);
        try { setP(await securityApi.updatePolicy(p)); setMsg({ ok: true, text: t('admin.policy_saved') }); } catch (x) { setMsg({ ok: false, text: errorText(x) }); }
      }}>
        <label>{t('admin.min_length')}
          <input class="input" type="number" min={8} max={64} required value={p.password_min_length} onInput={(e) => setP({ ...p, password_min_length: Number(e.currentTarget.value) })} />
        </label>
        <label>{t('admin.min_classes')}
          <select class="input" value={p.password_min_classes} onChange={(e) => setP({ ...p, password_min_classes: Number(e.currentTarget.value) })}>
            {[1, 2, 3, 4].map((n) => <option key={n} value={n}>{n}</option>)}
          </select>
        </label>
        <p class="muted small">{t('admin.policy_common')}</p>
        <label class="check"><input type="checkbox" checked={p.require_2fa} onChange={(e) => setP({ ...p, require_2fa: e.currentTarget.checked })} /> {t('admin.require_2fa')}</label>
        <p class="muted small">{t('admin.require_2fa_note')}</p>
        <label class="check"><input type="checkbox" checked={p.sso_require_2fa} onChange={(e) => setP({ ...p, sso_require_2fa: e.currentTarget.checked })} /> {t('admin.sso_require_2fa')}</label>
        <p class="muted small">{t('admin.sso_require_2fa_note')}</p>
        {msg && <p class={msg.ok ? 'ok-text' : 'error-text'} role={msg.ok ? 'status' : 'alert'}>{msg.text}</p>}
        <div class="form-actions"><button class="btn btn-primary" type="submit">{t('common.save')}</button></div>
      </form>
    </section>
  );
}
