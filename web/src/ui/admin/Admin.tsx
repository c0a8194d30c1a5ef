// The admin console shell: one page per section, listed in adminSections.
// Other features add their section (departments, groups, SSO...) by adding
// an entry here; the route is /admin/<id>.
import type { ComponentType } from 'preact';
import { t, type Key } from '../../i18n';
import { navigate } from '../../state/router';
import { me } from '../../state/session';
import { AdminDepartments, AdminGroups, AdminPermissions, AdminProfileFields } from '../directory/DirectoryAdmin';
import { AdminAudit } from './AdminAudit';
import { AdminPolicy } from './AdminPolicy';
import { AdminSSO } from './AdminSSO';
import { AdminUsers } from './AdminUsers';

export interface AdminSection {
  id: string;
  label: Key;
  page: ComponentType;
  /** Department admins may open it too (the server limits them to their subtrees). */
  deptAdmins?: boolean;
}

export const adminSections: AdminSection[] = [
  { id: 'users', label: 'admin.users', page: AdminUsers },
  { id: 'security', label: 'admin.security', page: AdminPolicy },
  { id: 'audit', label: 'admin.audit', page: AdminAudit },
  { id: 'sso', label: 'sso.admin.title', page: AdminSSO },
  { id: 'departments', label: 'admin.departments', page: AdminDepartments, deptAdmins: true },
  { id: 'groups', label: 'admin.groups', page: AdminGroups, deptAdmins: true },
  { id: 'fields', label: 'admin.fields', page: AdminProfileFields },
  { id: 'permissions', label: 'admin.permissions', page: AdminPermissions },
];

/** Old addresses of sections, kept working. */
const aliases: Record<string, string> = { directory: 'departments' };

/** Whether the signed-in user may open the console. */
export function canAdminister(): boolean {
  const r = me.value?.role;
  return r === 'owner' || r === 'admin';
}

/** The sections the signed-in user may open. */
export function visibleSections(): AdminSection[] {
  if (canAdminister()) return adminSections;
  return me.value?.role === 'dept_admin' ? adminSections.filter((s) => s.deptAdmins) : [];
}

export function AdminConsole({ section }: { section: string }) {
  const sections = visibleSections();
  if (sections.length === 0) {
    return <main class="main page" id="main"><div class="page-body"><p role="alert">{t('admin.forbidden')}</p></div></main>;
  }
  const id = aliases[section] ?? section;
  const current = sections.find((s) => s.id === id) ?? sections[0]!;
  const Page = current.page;
  return (
    <main class="main page admin" id="main" aria-labelledby="admin-title">
      <div class="page-body">
        <h1 id="admin-title">{t('admin.title')}</h1>
        <nav class="tabs" aria-label={t('admin.title')}>
          {sections.map((s) => (
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
