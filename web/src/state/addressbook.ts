// The address book (通讯录): the department tree, people and channels found
// by name or pinyin, profile cards, and the directory admin settings. Only
// the public API is used.
import { request } from '../api/client';
import type { components } from '../api/schema.gen';

type S = components['schemas'];
export type Department = S['Department'];
export type DepartmentDetail = S['DepartmentDetail'];
export type DirectoryResult = S['DirectoryResult'];
export type Profile = S['Profile'];
export type Group = S['Group'];
export type ProfileField = S['ProfileField'];
export type Permissions = S['Permissions'];
export type Who = Permissions['mention_all'];
export type DepartmentMember = S['DepartmentMember'];
/** The fields of a group an admin may change; absent ones stay as they are. */
export type GroupPatch = S['GroupPatch'];
/** The fields of a custom profile field an admin may change after creating it. */
export type FieldPatch = S['FieldPatch'];

const enc = encodeURIComponent;

export const directoryApi = {
  departments: () => request<{ departments: Department[] }>('GET', '/departments'),
  department: (id: number) => request<DepartmentDetail>('GET', `/departments/${id}`),
  subtreeMembers: (id: number) =>
    request<{ members: S['DepartmentMember'][] }>('GET', `/departments/${id}/members?subtree=true`),
  createDepartment: (name: string, parentId: number) =>
    request<Department>('POST', '/departments', { name, parent_id: parentId }),
  renameDepartment: (id: number, name: string) => request<Department>('PATCH', `/departments/${id}`, { name }),
  /** A department's place among its siblings (the tree sorts them by it, then by name). */
  orderDepartment: (id: number, order: number) => request<Department>('PATCH', `/departments/${id}`, { sort_order: order }),
  deleteDepartment: (id: number) => request<void>('DELETE', `/departments/${id}`),
  moveDepartment: (id: number, parentId: number) =>
    request<Department>('POST', `/departments/${id}/move`, { parent_id: parentId }),
  members: (id: number) =>
    request<{ members: DepartmentMember[] }>('GET', `/departments/${id}/members`),
  addMember: (id: number, userId: number) => request<unknown>('PUT', `/departments/${id}/members/${userId}`, {}),
  /** Sets a member's head flag and place; PUT replaces both, so both are always sent. */
  setMember: (id: number, userId: number, head: boolean, order: number) =>
    request<DepartmentMember>('PUT', `/departments/${id}/members/${userId}`, { head, sort_order: order }),
  removeMember: (id: number, userId: number) => request<void>('DELETE', `/departments/${id}/members/${userId}`),
  search: (q: string, kind: 'all' | 'users' | 'channels' = 'all') =>
    request<DirectoryResult>('GET', `/directory/search?q=${enc(q)}&kind=${kind}`),
  profile: (id: number) => request<Profile>('GET', `/users/${id}/profile`),
  groups: () => request<{ groups: Group[] }>('GET', '/groups'),
  createGroup: (handle: string, name: string, description: string) => request<Group>('POST', '/groups', { handle, name, description }),
  deleteGroup: (id: number) => request<void>('DELETE', `/groups/${id}`),
  group: (id: number) => request<Group>('GET', `/groups/${id}`),
  updateGroup: (id: number, patch: GroupPatch) => request<Group>('PATCH', `/groups/${id}`, patch),
  addGroupMember: (id: number, userId: number) => request<unknown>('PUT', `/groups/${id}/members/${userId}`, {}),
  removeGroupMember: (id: number, userId: number) => request<void>('DELETE', `/groups/${id}/members/${userId}`),
  grantDeptAdmin: (id: number, userId: number) => request<unknown>('PUT', `/departments/${id}/admins/${userId}`, {}),
  revokeDeptAdmin: (id: number, userId: number) => request<void>('DELETE', `/departments/${id}/admins/${userId}`),
  profileFields: () => request<{ fields: ProfileField[] }>('GET', '/profile-fields'),
  createProfileField: (name: string, adminOnly: boolean) =>
    request<ProfileField>('POST', '/profile-fields', { name, admin_only: adminOnly }),
  updateProfileField: (id: number, patch: FieldPatch) => request<ProfileField>('PATCH', `/profile-fields/${id}`, patch),
  deleteProfileField: (id: number) => request<void>('DELETE', `/profile-fields/${id}`),
  permissions: () => request<Permissions>('GET', '/org/permissions'),
  savePermissions: (p: Partial<Permissions>) => request<Permissions>('PATCH', '/org/permissions', p),
};

/** Children of each department id (0 for the top level), in the server's order. */
export function childrenOf(list: Department[]): Map<number, Department[]> {
  const out = new Map<number, Department[]>();
  for (const d of list) {
    const arr = out.get(d.parent_id) ?? [];
    arr.push(d);
    out.set(d.parent_id, arr);
  }
  return out;
}

/** The departments in tree order (depth first) with their depth, for pickers. */
export function flatTree(list: Department[]): { dept: Department; depth: number }[] {
  const kids = childrenOf(list);
  const out: { dept: Department; depth: number }[] = [];
  const walk = (parent: number, depth: number) => {
    for (const d of kids.get(parent) ?? []) {
      out.push({ dept: d, depth });
      walk(d.id, depth + 1);
    }
  };
  walk(0, 0);
  return out;
}

/** The ids of a department and everything below it. */
export function subtreeIds(list: Department[], id: number): Set<number> {
  const kids = childrenOf(list);
  const out = new Set<number>([id]);
  const walk = (p: number) => { for (const d of kids.get(p) ?? []) { out.add(d.id); walk(d.id); } };
  walk(id);
  return out;
}

/** The permission settings that take a level, in the order the console shows them. */
export const WHO_SETTINGS = [
  'create_public_channel', 'create_private_channel', 'mention_all', 'invite_guests', 'edit_messages',
  'delete_messages', 'recall_messages', 'create_bots', 'see_email', 'see_phone',
] as const;
export const WHO_LEVELS: Who[] = ['everyone', 'members', 'channel_admins', 'admins'];

/** The list with the item at index moved one place (-1 up, +1 down); unchanged at either end. */
export function moved<T>(list: readonly T[], index: number, delta: -1 | 1): T[] {
  const to = index + delta;
  const out = [...list];
  if (index < 0 || index >= list.length || to < 0 || to >= list.length) return out;
  [out[index], out[to]] = [out[to]!, out[index]!];
  return out;
}

/**
 * What to save after a reorder: each item whose stored sort order is not its
 * place in the list, with its place. The server sorts ties by name, so items
 * that all still have the default 0 get numbered on their first move.
 */
export function renumbered<T>(list: readonly T[], order: (x: T) => number): { item: T; order: number }[] {
  return list.flatMap((item, i) => (order(item) === i ? [] : [{ item, order: i }]));
}
