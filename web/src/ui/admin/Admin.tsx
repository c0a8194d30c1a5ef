// The admin console shell: one page per section, listed in adminSections.
// Other features add their section (departments, groups, SSO...) by adding
// an entry here; the route is /admin/<id>.
import type { ComponentType } from 'preact';
import { t, type Key } from '../../i18n';
import { navigate } from '../../state/router';
import { me } from '../../state/session';
import { AdminAudit } from './AdminAudit';
import { AdminPolicy } from './AdminPolicy';
import { AdminSSO } from './AdminSSO';
import { AdminUsers } from './AdminUsers';

export interface AdminSection {
  id: string;
  label: Key;
  page: ComponentType;
}

export const adminSections: AdminSection[] = [
  { id: 'users', label: 'admin.users', page: AdminUsers },
  { id: 'security', label: 'admin.security', page: AdminPolicy },
  { id: 'audit', label: 'admin.audit', page: AdminAudit },
  { id: 'sso', label: 'sso.admin.title', page: AdminSSO },
];

/** Whether the signed-in user may open the console. */
export function canAdminister(): boolean {
  const r = me.value?.role;
  return r === 'owner' || r === 'admin';
}

export function AdminConsole({ section }: { section: string }) {
  if (!canAdminister()) {
    return <main class="main page" id="main"><div class="page-body"><p role="alert">{t('admin.forbidden')}</p></div></main>;
  }
  const current = adminSections.find((s) => s.id === section) ?? adminSections[0]!;
  const Page = current.page;
  return (
    <main class="main page admin" id="main" aria-labelledby="admin-title">
      <div class="page-body">
        <h1 id="admin-title">{t('admin.title')}</h1>
        <nav class="tabs" aria-label={t('admin.title')}>
          {adminSections.map((s) => (
            <a key={s.id} class={'tab' + (s.id === current.id ? ' active' : '')} href={'/admin/' + s.id}
              aria-current={s.id === current.id ? 'page' : undefined}
              onClick={(e) => { e.preventDefault(); navigate('/admin/' + s.id); }}>{t(s.label)}</a>
          ))}
        </nav>
        <Page />
      </div>
    </main>
  );
}
