// The admin console's sign-on section (/admin/sso): the organisation's
// identity providers (OIDC, SAML, LDAP) with a "test connection" button and
// an LDAP "sync now", and the SCIM tokens identity providers provision with.
// Secrets are write-only: the form sends one only when typed.
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../../api/client';
import { ssoApi, type SCIMToken, type SSOProvider, type SSOProviderRequest } from '../../api/sso';
import { t } from '../../i18n';
import { directoryApi, type Department } from '../../state/addressbook';

type Kind = 'oidc' | 'saml' | 'ldap';

interface Form {
  kind: Kind;
  name: string;
  secret: string;
  issuer: string;
  clientId: string;
  url: string;
  bindDn: string;
  baseDn: string;
  userFilter: string;
  loginAttr: string;
  groupAttr: string;
  syncMinutes: string;
  departments: boolean;
  idpMetadata: string;
  adminGroup: string;
  /** Department rules: people in the group join the department (ADR 0014, decision 12). */
  deptRules: DeptRule[];
}

interface DeptRule {
  group: string;
  departmentId: number; // 0: none chosen yet
}

const blank: Form = {
  kind: 'oidc', name: '', secret: '', issuer: '', clientId: '', url: 'ldaps://', bindDn: '', baseDn: '',
  userFilter: '', loginAttr: '', groupAttr: '', syncMinutes: '60', departments: true, idpMetadata: '', adminGroup: '',
  deptRules: [],
};

function formOf(p: SSOProvider): Form {
  return {
    ...blank, kind: p.kind as Kind, name: p.name,
    issuer: p.oidc?.issuer ?? '', clientId: p.oidc?.client_id ?? '',
    url: p.ldap?.url ?? '', bindDn: p.ldap?.bind_dn ?? '', baseDn: p.ldap?.base_dn ?? '', userFilter: p.ldap?.user_filter ?? '',
    loginAttr: p.ldap?.login_attr ?? '', groupAttr: p.ldap?.group_attr ?? '',
    syncMinutes: String(Math.round((p.ldap?.sync_interval_seconds ?? 0) / 60)), departments: p.ldap?.departments ?? false,
    idpMetadata: p.saml?.idp_metadata ?? '', adminGroup: p.mapping.rules.find((r) => r.role === 'admin')?.group ?? '',
    deptRules: (p.mapping.departments ?? []).map((r) => ({ group: r.group, departmentId: r.department_id })),
  };
}

/** The request for a form: whole settings objects, the secret only when typed. */
export function requestOf(f: Form, creating: boolean): SSOProviderRequest {
  const b: SSOProviderRequest = { name: f.name };
  if (creating) b.kind = f.kind;
  if (f.secret) b.secret = f.secret;
  if (f.kind === 'oidc') b.oidc = { issuer: f.issuer, client_id: f.clientId, scopes: [], groups_claim: '' };
  if (f.kind === 'saml') b.saml = { idp_metadata: f.idpMetadata, email_attr: '', name_attr: '', groups_attr: '' };
  if (f.kind === 'ldap') {
    b.ldap = { url: f.url, start_tls: false, bind_dn: f.bindDn, base_dn: f.baseDn, user_filter: f.userFilter,
      login_attr: f.loginAttr, email_attr: '', name_attr: '', group_attr: f.groupAttr,
      sync_interval_seconds: Math.max(0, Number(f.syncMinutes) || 0) * 60, departments: f.departments };
  }
  b.mapping = {
    default_role: 'member', rules: f.adminGroup.trim() ? [{ group: f.adminGroup.trim(), role: 'admin' }] : [],
    // Rows left without a group or a department are dropped, not sent.
    departments: f.deptRules.filter((r) => r.group.trim() && r.departmentId > 0)
      .map((r) => ({ group: r.group.trim(), department_id: r.departmentId })),
  };
  return b;
}

function errText(x: unknown): string {
  return x instanceof ApiError || x instanceof Error ? x.message : String(x);
}

/** Department names with their parents ("R&D / Backend"), for the rule picker. */
function departmentLabels(ds: Department[]): { id: number; label: string }[] {
  const byId = new Map(ds.map((d) => [d.id, d]));
  const label = (d: Department): string => {
    const parent = d.parent_id ? byId.get(d.parent_id) : undefined;
    return parent ? label(parent) + ' / ' + d.name : d.name;
  };
  return ds.map((d) => ({ id: d.id, label: label(d) })).sort((a, b) => a.label.localeCompare(b.label));
}

/** The department rules of a provider: one row per rule, a group and a department. */
export function DeptRules({ rules, departments, onChange }: { rules: DeptRule[]; departments: Department[]; onChange: (r: DeptRule[]) => void }) {
  const set = (i: number, r: DeptRule) => onChange(rules.map((x, j) => (j === i ? r : x)));
  const labels = departmentLabels(departments);
  return (
    <fieldset class="sso-dept-rules">
      <legend>{t('sso.admin.dept_rules')}</legend>
      <p class="muted">{t('sso.admin.dept_rules_help')}</p>
      {rules.map((r, i) => (
        <div class="row" key={i}>
          <input class="input" name={`deptGroup${i}`} aria-label={t('sso.admin.dept_rule_group', { n: i + 1 })} placeholder={t('sso.admin.dept_rule_group_placeholder')}
            value={r.group} onInput={(e) => set(i, { ...r, group: e.currentTarget.value })} />
          <select class="input" name={`deptId${i}`} aria-label={t('sso.admin.dept_rule_department', { n: i + 1 })} value={String(r.departmentId)}
            onChange={(e) => set(i, { ...r, departmentId: Number(e.currentTarget.value) })}>
            <option value="0">{t('sso.admin.dept_rule_choose')}</option>
            {/* A rule whose department was deleted keeps its id visible, so the admin sees what to fix. */}
            {r.departmentId > 0 && !labels.some((d) => d.id === r.departmentId) &&
              <option value={String(r.departmentId)}>{t('sso.admin.dept_rule_missing', { id: r.departmentId })}</option>}
            {labels.map((d) => <option key={d.id} value={String(d.id)}>{d.label}</option>)}
          </select>
          <button class="btn" type="button" aria-label={t('sso.admin.dept_rule_remove', { n: i + 1 })}
            onClick={() => onChange(rules.filter((_, j) => j !== i))}>{t('sso.admin.dept_rule_remove_short')}</button>
        </div>
      ))}
      <button class="btn" type="button" onClick={() => onChange([...rules, { group: '', departmentId: 0 }])}>{t('sso.admin.dept_rule_add')}</button>
    </fieldset>
  );
}

function ProviderForm({ initial, editing, onDone }: { initial: Form; editing: SSOProvider | null; onDone: () => void }) {
  const [f, setF] = useState(initial);
  const [err, setErr] = useState('');
  const [busy, setBusy] = useState(false);
  const [departments, setDepartments] = useState<Department[]>([]);
  useEffect(() => {
    directoryApi.departments().then((r) => setDepartments(r.departments), (x) => setErr(errText(x)));
  }, []);
  const text = (k: keyof Form, label: string, extra: Record<string, string> = {}) => (
    <label>{label}<input class="input" name={k} value={String(f[k])} onInput={(e) => setF({ ...f, [k]: e.currentTarget.value })} {...extra} /></label>
  );
  return (
    <form class="form sso-form" onSubmit={async (e) => {
      e.preventDefault();
      setBusy(true);
      setErr('');
      try {
        if (editing) await ssoApi.update(editing.id, requestOf(f, false));
        else await ssoApi.create(requestOf(f, true));
        onDone();
      } catch (x) {
        setErr(errText(x));
      } finally {
        setBusy(false);
      }
    }}>
      <h2>{editing ? t('sso.admin.edit', { name: editing.name }) : t('sso.admin.add')}</h2>
      {!editing && (
        <label>{t('sso.admin.kind')}
          <select class="input" name="kind" value={f.kind} onChange={(e) => setF({ ...f, kind: e.currentTarget.value as Kind })}>
            <option value="oidc">OpenID Connect</option>
            <option value="saml">SAML 2.0</option>
            <option value="ldap">LDAP / Active Directory</option>
          </select>
        </label>
      )}
      {text('name', t('sso.admin.name'), { required: 'true' })}
      {f.kind === 'oidc' && <>
        {text('issuer', t('sso.admin.issuer'), { type: 'url', placeholder: 'https://login.example.com' })}
        {text('clientId', t('sso.admin.client_id'))}
      </>}
      {f.kind === 'saml' && (
        <label>{t('sso.admin.idp_metadata')}
          <textarea class="input" name="idpMetadata" rows={5} value={f.idpMetadata} onInput={(e) => setF({ ...f, idpMetadata: e.currentTarget.value })} />
        </label>
      )}
      {f.kind === 'ldap' && <>
        {text('url', t('sso.admin.ldap_url'))}
        {text('bindDn', t('sso.admin.bind_dn'))}
        {text('baseDn', t('sso.admin.base_dn'))}
        {text('userFilter', t('sso.admin.user_filter'), { placeholder: '(objectClass=person)' })}
        {text('loginAttr', t('sso.admin.login_attr'), { placeholder: 'uid / sAMAccountName' })}
        {text('groupAttr', t('sso.admin.group_attr'), { placeholder: 'memberOf' })}
        {text('syncMinutes', t('sso.admin.sync_minutes'), { type: 'number', min: '0' })}
        <label class="check"><input type="checkbox" checked={f.departments} onChange={(e) => setF({ ...f, departments: e.currentTarget.checked })} />{t('sso.admin.departments')}</label>
      </>}
      {f.kind !== 'saml' && (
        <label>{f.kind === 'ldap' ? t('sso.admin.bind_password') : t('sso.admin.client_secret')}
          <input class="input" name="secret" type="password" autoComplete="new-password" value={f.secret}
            placeholder={editing?.has_secret ? t('sso.admin.secret_kept') : ''} onInput={(e) => setF({ ...f, secret: e.currentTarget.value })} />
        </label>
      )}
      {text('adminGroup', t('sso.admin.admin_group'))}
      <DeptRules rules={f.deptRules} departments={departments} onChange={(deptRules) => setF({ ...f, deptRules })} />
      {err && <p class="error-text" role="alert">{err}</p>}
      <div class="row">
        <button class="btn btn-primary" type="submit" disabled={busy}>{t('common.save')}</button>
        <button class="btn" type="button" onClick={onDone}>{t('common.cancel')}</button>
      </div>
    </form>
  );
}

function ProviderRow({ p, onEdit, onChanged }: { p: SSOProvider; onEdit: () => void; onChanged: () => void }) {
  const [status, setStatus] = useState('');
  const run = async (fn: () => Promise<string>) => {
    setStatus(t('common.loading'));
    try { setStatus(await fn()); } catch (x) { setStatus(errText(x)); }
  };
  return (
    <li class="sso-provider">
      <div><strong>{p.name}</strong> <span class="muted">{p.kind.toUpperCase()}</span></div>
      {p.redirect_uri && <div class="muted">{p.kind === 'saml' ? t('sso.admin.acs_url') : t('sso.admin.redirect_uri')}: <code>{p.redirect_uri}</code></div>}
      {p.saml?.metadata_url && <div class="muted">{t('sso.admin.sp_metadata')}: <code>{p.saml.metadata_url}</code></div>}
      <div class="row">
        <button class="btn" type="button" onClick={() => run(async () => {
          const r = await ssoApi.test(p.id);
          return (r.ok ? t('sso.admin.test_ok') : t('sso.admin.test_failed')) + ' — ' + r.detail;
        })}>{t('sso.admin.test')}</button>
        {p.kind === 'ldap' && <button class="btn" type="button" onClick={() => run(async () => {
          const r = await ssoApi.sync(p.id);
          return t('sso.admin.synced', { created: r.created, updated: r.updated, deactivated: r.deactivated });
        })}>{t('sso.admin.sync')}</button>}
        <button class="btn" type="button" onClick={onEdit}>{t('sso.admin.edit_button')}</button>
        <button class="btn" type="button" onClick={() => run(async () => {
          await ssoApi.remove(p.id);
          onChanged();
          return '';
        })}>{t('sso.admin.delete')}</button>
      </div>
      {status && <p class="muted" role="status">{status}</p>}
    </li>
  );
}

function ScimTokens() {
  const [tokens, setTokens] = useState<SCIMToken[]>([]);
  const [name, setName] = useState('');
  const [fresh, setFresh] = useState('');
  const [err, setErr] = useState('');
  const load = () => ssoApi.scimTokens().then((r) => setTokens(r.tokens), (x) => setErr(errText(x)));
  useEffect(() => { void load(); }, []);
  return (
    <section aria-labelledby="scim-h">
      <h2 id="scim-h">{t('sso.admin.scim')}</h2>
      <p class="muted">{t('sso.admin.scim_help', { url: location.origin + '/scim/v2' })}</p>
      <ul>{tokens.map((tk) => (
        <li key={tk.id}>{tk.name} <button class="btn" type="button" onClick={async () => { await ssoApi.deleteScimToken(tk.id); void load(); }}>{t('sso.admin.revoke')}</button></li>
      ))}</ul>
      <form class="row" onSubmit={async (e) => {
        e.preventDefault();
        setErr('');
        try {
          const tk = await ssoApi.createScimToken(name.trim());
          setFresh(tk.token ?? '');
          setName('');
          void load();
        } catch (x) { setErr(errText(x)); }
      }}>
        <input class="input" aria-label={t('sso.admin.token_name')} placeholder={t('sso.admin.token_name')} required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        <button class="btn" type="submit">{t('sso.admin.new_token')}</button>
      </form>
      {fresh && <p role="status">{t('sso.admin.token_once')} <code>{fresh}</code></p>}
      {err && <p class="error-text" role="alert">{err}</p>}
    </section>
  );
}

export function AdminSSO() {
  const [providers, setProviders] = useState<SSOProvider[] | null>(null);
  const [err, setErr] = useState('');
  const [editing, setEditing] = useState<SSOProvider | 'new' | null>(null);
  const load = () => ssoApi.providers().then((r) => setProviders(r.providers), (x) => setErr(errText(x)));
  useEffect(() => { void load(); }, []);
  return (
    <section class="admin-sso" aria-labelledby="sso-h">
      <h2 id="sso-h">{t('sso.admin.title')}</h2>
      {err && <p class="error-text" role="alert">{err}</p>}
      {providers === null && !err && <p role="status">{t('common.loading')}</p>}
      {providers && providers.length === 0 && <p class="muted">{t('sso.admin.none')}</p>}
      <ul class="sso-providers">
        {providers?.map((p) => <ProviderRow key={p.id} p={p} onEdit={() => setEditing(p)} onChanged={() => void load()} />)}
      </ul>
      {editing === null && <button class="btn btn-primary" type="button" onClick={() => setEditing('new')}>{t('sso.admin.add')}</button>}
      {editing !== null && (
        <ProviderForm initial={editing === 'new' ? blank : formOf(editing)} editing={editing === 'new' ? null : editing}
          onDone={() => { setEditing(null); void load(); }} />
      )}
      <ScimTokens />
    </section>
  );
}
