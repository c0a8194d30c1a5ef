import { describe, expect, it } from 'vitest';
import type { User } from '../src/api/types';
import { me } from '../src/state/session';
import { visibleSections } from '../src/ui/admin/Admin';
import { AUDIT_ACTIONS } from '../src/ui/admin/AdminAudit';

const as = (role: string) => { me.value = { id: 1, role } as unknown as User; return visibleSections().map((s) => s.id); };

describe('admin console sections', () => {
  it('shows the directory sections to admins and only departments and groups to department admins', () => {
    expect(as('admin')).toEqual(expect.arrayContaining(['users', 'audit', 'departments', 'groups', 'fields', 'permissions']));
    expect(as('dept_admin')).toEqual(['departments', 'groups']);
    expect(as('member')).toEqual([]);
  });
  it('offers the directory actions in the audit filter', () => {
    for (const a of ['permissions.update', 'department.', 'department.admin_grant', 'group.', 'profile_field.', 'channel.department_bind']) {
      expect(AUDIT_ACTIONS).toContain(a);
    }
  });
});
