package store

// The plan of a copy (copy.go): the two schemas read from the databases
// themselves and matched table by table, in foreign-key order, with the
// problems that would make the generic copy wrong.

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// sqliteSchema reads the tables, columns, primary keys and foreign keys.
func sqliteSchema(ctx context.Context, db *sql.DB) (map[string]*tableInfo, error) {
	rows, err := db.QueryContext(ctx, `SELECT name, COALESCE(sql, '') FROM sqlite_schema
		WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("read SQLite schema: %w", err)
	}
	tables := map[string]*tableInfo{}
	for rows.Next() {
		var name, ddl string
		if err := rows.Scan(&name, &ddl); err != nil {
			rows.Close()
			return nil, err
		}
		tables[name] = &tableInfo{name: name, virtual: strings.HasPrefix(strings.ToUpper(ddl), "CREATE VIRTUAL TABLE")}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// An FTS5 table keeps its data in shadow tables named after it; they
	// go with their virtual table.
	for name, t := range tables {
		if !t.virtual {
			continue
		}
		for _, suffix := range []string{"_data", "_idx", "_content", "_docsize", "_config"} {
			delete(tables, name+suffix)
		}
	}
	for _, t := range tables {
		if t.virtual {
			continue
		}
		type pkCol struct {
			pos  int
			name string
		}
		var pks []pkCol
		cr, err := db.QueryContext(ctx, `SELECT name, type, pk FROM pragma_table_info(?) ORDER BY cid`, t.name)
		if err != nil {
			return nil, err
		}
		for cr.Next() {
			var c column
			var pk int
			if err := cr.Scan(&c.name, &c.typ, &pk); err != nil {
				cr.Close()
				return nil, err
			}
			c.typ = strings.ToUpper(c.typ)
			t.cols = append(t.cols, c)
			if pk > 0 {
				pks = append(pks, pkCol{pk, c.name})
			}
		}
		cr.Close()
		if err := cr.Err(); err != nil {
			return nil, err
		}
		sort.Slice(pks, func(i, j int) bool { return pks[i].pos < pks[j].pos })
		for _, p := range pks {
			t.pk = append(t.pk, p.name)
		}
		fr, err := db.QueryContext(ctx, `SELECT DISTINCT "table" FROM pragma_foreign_key_list(?)`, t.name)
		if err != nil {
			return nil, err
		}
		for fr.Next() {
			var ref string
			if err := fr.Scan(&ref); err != nil {
				fr.Close()
				return nil, err
			}
			t.refs = append(t.refs, ref)
		}
		fr.Close()
		if err := fr.Err(); err != nil {
			return nil, err
		}
	}
	return tables, nil
}

// pgSchema reads the tables of the current schema, their columns, primary
// keys, foreign keys and identity columns.
func pgSchema(ctx context.Context, q pgQuerier) (map[string]*tableInfo, error) {
	tables := map[string]*tableInfo{}
	rows, err := q.Query(ctx, `SELECT c.table_name, c.column_name,
			CASE WHEN c.is_generated = 'ALWAYS' THEN 'generated ' || c.data_type ELSE c.data_type END,
			c.is_identity = 'YES' OR COALESCE(c.column_default, '') LIKE 'nextval(%'
		FROM information_schema.columns c
		JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
		WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
		ORDER BY c.table_name, c.ordinal_position`)
	if err != nil {
		return nil, fmt.Errorf("read PostgreSQL schema: %w", err)
	}
	for rows.Next() {
		var tname string
		var c column
		var ident bool
		if err := rows.Scan(&tname, &c.name, &c.typ, &ident); err != nil {
			rows.Close()
			return nil, err
		}
		t := tables[tname]
		if t == nil {
			t = &tableInfo{name: tname}
			tables[tname] = t
		}
		t.cols = append(t.cols, c)
		if ident {
			t.identity = append(t.identity, c.name)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.Query(ctx, `SELECT cl.relname, a.attname
		FROM pg_index i
		JOIN pg_class cl ON cl.oid = i.indrelid
		JOIN pg_namespace n ON n.oid = cl.relnamespace
		JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) ON true
		JOIN pg_attribute a ON a.attrelid = cl.oid AND a.attnum = k.attnum
		WHERE i.indisprimary AND n.nspname = current_schema()
		ORDER BY cl.relname, k.ord`)
	if err != nil {
		return nil, fmt.Errorf("read PostgreSQL primary keys: %w", err)
	}
	for rows.Next() {
		var tname, col string
		if err := rows.Scan(&tname, &col); err != nil {
			rows.Close()
			return nil, err
		}
		if t := tables[tname]; t != nil {
			t.pk = append(t.pk, col)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.Query(ctx, `SELECT DISTINCT cl.relname, rf.relname
		FROM pg_constraint c
		JOIN pg_class cl ON cl.oid = c.conrelid
		JOIN pg_class rf ON rf.oid = c.confrelid
		JOIN pg_namespace n ON n.oid = cl.relnamespace
		WHERE c.contype = 'f' AND n.nspname = current_schema()`)
	if err != nil {
		return nil, fmt.Errorf("read PostgreSQL foreign keys: %w", err)
	}
	for rows.Next() {
		var tname, ref string
		if err := rows.Scan(&tname, &ref); err != nil {
			rows.Close()
			return nil, err
		}
		if t := tables[tname]; t != nil {
			t.refs = append(t.refs, ref)
		}
	}
	rows.Close()
	return tables, rows.Err()
}

// planCopy matches the two schemas table by table and orders the tables so
// that every table comes after those its foreign keys point at. It returns
// the problems that make a table impossible to copy generically.
func planCopy(src, dst map[string]*tableInfo) ([]copyTable, []string) {
	var problems []string
	names := map[string]bool{}
	for n := range src {
		names[n] = true
	}
	for n := range dst {
		names[n] = true
	}
	byName := map[string]copyTable{}
	for n := range names {
		s, d := src[n], dst[n]
		if s == nil || d == nil {
			where := "SQLite"
			if s == nil {
				where = "PostgreSQL"
			}
			problems = append(problems, fmt.Sprintf("table %s exists only on %s (the migration folders must create the same tables)", n, where))
			continue
		}
		if sp, ok := specialTables[n]; ok {
			byName[n] = copyTable{name: n, how: sp.how}
			continue
		}
		if s.virtual {
			problems = append(problems, fmt.Sprintf("table %s is a SQLite virtual table: its rows cannot be copied generically; "+
				"add it to specialTables in internal/store/copy.go", n))
			continue
		}
		t := copyTable{name: n, how: CopyRows, pk: d.pk, ids: d.identity}
		scols := map[string]column{}
		for _, c := range s.cols {
			scols[c.name] = c
		}
		if len(s.cols) != len(d.cols) {
			problems = append(problems, fmt.Sprintf("table %s has %d columns on SQLite and %d on PostgreSQL", n, len(s.cols), len(d.cols)))
			continue
		}
		ok := true
		for _, c := range d.cols {
			sc, found := scols[c.name]
			if !found {
				problems = append(problems, fmt.Sprintf("column %s.%s exists only on PostgreSQL", n, c.name))
				ok = false
				continue
			}
			class, known := pgClasses[c.typ]
			if !known {
				problems = append(problems, fmt.Sprintf("column %s.%s has type %s, which the copy does not know how to carry "+
					"and compare: teach pgClasses in internal/store/copy.go or add the table to specialTables", n, c.name, c.typ))
				ok = false
				continue
			}
			if want := sqliteAffinity[class]; sc.typ != want {
				problems = append(problems, fmt.Sprintf("column %s.%s is %s on PostgreSQL but %s on SQLite (want %s)", n, c.name, c.typ, sc.typ, want))
				ok = false
				continue
			}
			c.class = class
			t.cols = append(t.cols, c)
		}
		if len(d.pk) == 0 || !slices.Equal(s.pk, d.pk) {
			problems = append(problems, fmt.Sprintf("table %s: primary key (%s) on SQLite, (%s) on PostgreSQL; the copy and its "+
				"checksum read rows in primary-key order, so both need the same one", n, strings.Join(s.pk, ", "), strings.Join(d.pk, ", ")))
			ok = false
		}
		if ok {
			byName[n] = t
		}
	}
	// Foreign-key order (Kahn's algorithm; names sorted for a stable plan).
	var plan []copyTable
	done := map[string]bool{}
	for len(done) < len(byName) {
		progressed := false
		keys := make([]string, 0, len(byName))
		for n := range byName {
			keys = append(keys, n)
		}
		sort.Strings(keys)
		for _, n := range keys {
			if done[n] {
				continue
			}
			ready := true
			for _, ref := range dst[n].refs {
				if ref != n && !done[ref] && byName[ref].name != "" {
					ready = false
				}
			}
			if ready {
				plan = append(plan, byName[n])
				done[n] = true
				progressed = true
			}
		}
		if !progressed {
			var cyc []string
			for _, n := range keys {
				if !done[n] {
					cyc = append(cyc, n)
				}
			}
			problems = append(problems, "foreign keys form a cycle between "+strings.Join(cyc, ", "))
			break
		}
	}
	// Derived tables are rebuilt from the copied ones, so they come last.
	sort.SliceStable(plan, func(i, j int) bool { return plan[i].how != CopyRebuilt && plan[j].how == CopyRebuilt })
	sort.Strings(problems)
	return plan, problems
}
