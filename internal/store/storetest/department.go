package storetest

import (
	"context"
	"slices"
	"strconv"
	"testing"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/store"
)

func mkDept(tb testing.TB, db *store.DB, org int64, parent account.Department, name string, order int) account.Department {
	tb.Helper()
	var d account.Department
	update(tb, db, func(ctx context.Context, tx *store.Tx) error {
		var err error
		d, err = tx.InsertDepartment(ctx, account.Department{Org: org, Parent: parent.ID, Path: parent.Path, Name: name, Order: order, CreatedAt: at})
		return err
	})
	return d
}

func deptNames(ds []account.Department) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.Name
	}
	return out
}

// testDepartment covers the tree: paths, ordering, sibling-unique names,
// subtree membership, moves and admin scopes.
func testDepartment(t *testing.T, s suite) {
	db := s.open(t)
	ctx := context.Background()
	org, other := mkOrg(t, db), mkOrg(t, db)
	root := account.Department{}
	eng := mkDept(t, db, org, root, "Engineering", 2)
	sales := mkDept(t, db, org, root, "Sales", 1)
	be := mkDept(t, db, org, eng, "Backend", 0)
	db1 := mkDept(t, db, org, be, "数据库", 0)
	fe := mkDept(t, db, org, eng, "Frontend", 0)
	mkDept(t, db, other, root, "Engineering", 0)

	if want := "/" + itoa(eng.ID) + "/" + itoa(be.ID) + "/" + itoa(db1.ID) + "/"; db1.Path != want {
		t.Fatalf("path %q, want %q", db1.Path, want)
	}
	got, err := db.Department(ctx, org, be.ID)
	if err != nil || got != be {
		t.Fatalf("Department = %+v (%v), want %+v", got, err, be)
	}
	if _, err := db.Department(ctx, other, be.ID); errs.CodeOf(err) != "department_not_found" {
		t.Fatalf("another organisation's department: %v", err)
	}
	ds, err := db.Departments(ctx, org)
	if want := []string{"Sales", "Engineering", "Backend", "Frontend", "数据库"}; err != nil || !slices.Equal(deptNames(ds), want) {
		t.Fatalf("Departments = %v (%v), want %v", deptNames(ds), err, want)
	}
	// Sibling names are unique, case-insensitively; cousins may share one.
	err = db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.InsertDepartment(ctx, account.Department{Org: org, Parent: eng.ID, Path: eng.Path, Name: "backend", CreatedAt: at})
		return err
	})
	if errs.CodeOf(err) != "department_name_taken" {
		t.Fatalf("duplicate sibling: %v", err)
	}
	mkDept(t, db, org, sales, "Backend", 0)
	if n, err := db.SubtreeSize(ctx, org, eng.Path); err != nil || n != 4 {
		t.Fatalf("SubtreeSize = %d (%v), want 4", n, err)
	}
	if n, err := db.SubtreeDepth(ctx, org, eng.Path); err != nil || n != 3 {
		t.Fatalf("SubtreeDepth = %d (%v), want 3", n, err)
	}

	alice, bob, carol := mkUser(t, db, org, "alice"), mkUser(t, db, org, "bob"), mkUser(t, db, org, "carol")
	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		for _, m := range []account.DepartmentMember{
			{Department: eng.ID, User: carol.ID, Org: org, Head: true},
			{Department: be.ID, User: alice.ID, Org: org, Order: 2},
			{Department: db1.ID, User: bob.ID, Org: org},
			{Department: be.ID, User: bob.ID, Org: org, Order: 1},
			{Department: sales.ID, User: alice.ID, Org: org},
		} {
			if err := tx.PutDepartmentMember(ctx, m); err != nil {
				return err
			}
		}
		// Updating a membership keeps one row.
		return tx.PutDepartmentMember(ctx, account.DepartmentMember{Department: be.ID, User: alice.ID, Org: org, Head: true, Order: 2})
	})
	users := func(ms []account.DepartmentMember) []int64 {
		out := []int64{}
		for _, m := range ms {
			out = append(out, m.User)
		}
		return out
	}
	if ms, err := db.DepartmentMembers(ctx, org, be, false); err != nil || !slices.Equal(users(ms), []int64{alice.ID, bob.ID}) || !ms[0].Head {
		t.Fatalf("members of Backend = %+v (%v)", ms, err)
	}
	if ms, err := db.DepartmentMembers(ctx, org, eng, true); err != nil || !slices.Equal(users(ms), []int64{carol.ID, alice.ID, bob.ID}) {
		t.Fatalf("subtree of Engineering = %v (%v), want carol, alice, bob once each", users(ms), err)
	}
	if ds, err := db.UserDepartments(ctx, org, alice.ID); err != nil || !slices.Equal(deptNames(ds), []string{"Backend", "Sales"}) && !slices.Equal(deptNames(ds), []string{"Sales", "Backend"}) {
		t.Fatalf("alice's departments = %v (%v)", deptNames(ds), err)
	}

	// Move Backend (with 数据库) under Sales.
	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		newPath := sales.Path + itoa(be.ID) + "/"
		if err := tx.MoveSubtree(ctx, org, be.Path, newPath); err != nil {
			return err
		}
		be.Parent, be.Path, be.Name = sales.ID, newPath, "Backend Platform"
		return tx.UpdateDepartment(ctx, be)
	})
	moved, err := db.Department(ctx, org, db1.ID)
	if want := sales.Path + itoa(be.ID) + "/" + itoa(db1.ID) + "/"; err != nil || moved.Path != want || moved.Parent != be.ID {
		t.Fatalf("after the move 数据库 is %+v (%v), want path %q", moved, err, want)
	}
	if n, _ := db.SubtreeSize(ctx, org, eng.Path); n != 2 {
		t.Fatalf("Engineering keeps %d departments, want 2", n)
	}
	if ms, _ := db.DepartmentMembers(ctx, org, sales, true); !slices.Contains(users(ms), bob.ID) {
		t.Fatalf("bob moved with his department: %v", users(ms))
	}

	// Admin scopes.
	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		if err := tx.AddDepartmentAdmin(ctx, org, eng.ID, carol.ID); err != nil {
			return err
		}
		return tx.AddDepartmentAdmin(ctx, org, eng.ID, carol.ID) // idempotent
	})
	if sc, err := db.AdminScopes(ctx, org, carol.ID); err != nil || len(sc) != 1 || sc[0].ID != eng.ID {
		t.Fatalf("AdminScopes = %+v (%v)", sc, err)
	}
	if as, err := db.DepartmentAdmins(ctx, org, eng.ID); err != nil || !slices.Equal(as, []int64{carol.ID}) {
		t.Fatalf("DepartmentAdmins = %v (%v)", as, err)
	}
	var removed bool
	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		var err error
		if removed, err = tx.RemoveDepartmentMember(ctx, org, db1.ID, bob.ID); err != nil {
			return err
		}
		if err := tx.DeleteDepartment(ctx, org, fe.ID); err != nil {
			return err
		}
		_, err = tx.RemoveDepartmentAdmin(ctx, org, eng.ID, carol.ID)
		return err
	})
	if !removed {
		t.Fatal("RemoveDepartmentMember reported no row")
	}
	if _, err := db.Department(ctx, org, fe.ID); errs.CodeOf(err) != "department_not_found" {
		t.Fatalf("deleted department: %v", err)
	}
	if sc, _ := db.AdminScopes(ctx, org, carol.ID); len(sc) != 0 {
		t.Fatalf("scope after removal: %+v", sc)
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
