//! `crates/adapters/src/postgres/schema.rs` is written by hand; this test
//! fails when it no longer describes the database the migrations build:
//! every table, its primary key, and every column's name, SQL type and
//! nullability, as `diesel print-schema` would print them.

use std::collections::BTreeMap;

use concord_tests::TestDb;
use diesel::sql_types::{Bool, Integer, Text};
use diesel::{Connection, QueryableByName, RunQueryDsl, pg::PgConnection};
use diesel_migrations::MigrationHarness;

/// The file the adapter's queries are checked against at compile time.
const SCHEMA_RS: &str = include_str!("../../../crates/adapters/src/postgres/schema.rs");

/// A table as `diesel::table!` declares it: its primary key's columns in
/// order, and each column's type (`Int8`, `Nullable<Text>`, ...) by name.
#[derive(Debug, Default, PartialEq, Eq)]
struct Table {
    primary_key: Vec<String>,
    columns: BTreeMap<String, String>,
}

type Schema = BTreeMap<String, Table>;

#[derive(QueryableByName)]
struct ColumnRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    udt_name: String,
    #[diesel(sql_type = Bool)]
    nullable: bool,
}

#[derive(QueryableByName)]
struct KeyRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Integer)]
    position: i32,
}

/// The diesel name of a Postgres type, as `print-schema` spells it.
fn diesel_type(udt_name: &str) -> String {
    if let Some(element) = udt_name.strip_prefix('_') {
        return format!("Array<{}>", diesel_type(element));
    }
    let named = match udt_name {
        "bool" => "Bool",
        "int2" => "Int2",
        "int4" => "Int4",
        "int8" => "Int8",
        "float4" => "Float4",
        "float8" => "Float8",
        "text" => "Text",
        "varchar" => "Varchar",
        "bpchar" => "Bpchar",
        "bytea" => "Bytea",
        "date" => "Date",
        "time" => "Time",
        "timestamp" => "Timestamp",
        "timestamptz" => "Timestamptz",
        "interval" => "Interval",
        "numeric" => "Numeric",
        "uuid" => "Uuid",
        "json" => "Json",
        "jsonb" => "Jsonb",
        "inet" => "Inet",
        "cidr" => "Cidr",
        "oid" => "Oid",
        // An enum or other custom type: print-schema names it after itself.
        other => {
            let mut chars = other.chars();
            return chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect()
            });
        }
    };
    named.to_owned()
}

/// Diesel's other names for the same SQL types, mapped to print-schema's.
fn canonical(ty: &str) -> String {
    let ty = ty.rsplit("::").next().unwrap_or(ty).trim();
    if let Some(inner) = ty
        .strip_prefix("Nullable<")
        .and_then(|t| t.strip_suffix('>'))
    {
        return format!("Nullable<{}>", canonical(inner));
    }
    if let Some(inner) = ty.strip_prefix("Array<").and_then(|t| t.strip_suffix('>')) {
        return format!("Array<{}>", canonical(inner));
    }
    match ty {
        "SmallInt" => "Int2",
        "Integer" => "Int4",
        "BigInt" => "Int8",
        "Float" => "Float4",
        "Double" => "Float8",
        "Binary" => "Bytea",
        "VarChar" => "Varchar",
        other => other,
    }
    .to_owned()
}

/// What the migrated database at `conn` holds in `public`, besides diesel's
/// own bookkeeping table.
fn introspect(conn: &mut PgConnection) -> Schema {
    let columns: Vec<ColumnRow> = diesel::sql_query(
        "SELECT c.table_name::text, c.column_name::text, c.udt_name::text, \
                c.is_nullable = 'YES' AS nullable \
         FROM information_schema.columns c \
         JOIN information_schema.tables t \
           ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
         WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' \
           AND c.table_name <> '__diesel_schema_migrations'",
    )
    .load(conn)
    .expect("read the columns");
    let keys: Vec<KeyRow> = diesel::sql_query(
        "SELECT k.table_name::text, k.column_name::text, k.ordinal_position::int4 AS position \
         FROM information_schema.table_constraints c \
         JOIN information_schema.key_column_usage k \
           ON k.constraint_schema = c.constraint_schema \
          AND k.constraint_name = c.constraint_name \
          AND k.table_name = c.table_name \
         WHERE c.table_schema = 'public' AND c.constraint_type = 'PRIMARY KEY' \
           AND c.table_name <> '__diesel_schema_migrations'",
    )
    .load(conn)
    .expect("read the primary keys");

    let mut schema = Schema::new();
    for column in columns {
        let ty = diesel_type(&column.udt_name);
        let ty = if column.nullable {
            format!("Nullable<{ty}>")
        } else {
            ty
        };
        schema
            .entry(column.table_name)
            .or_default()
            .columns
            .insert(column.column_name, ty);
    }
    let mut ordered: BTreeMap<String, Vec<(i32, String)>> = BTreeMap::new();
    for key in keys {
        ordered
            .entry(key.table_name)
            .or_default()
            .push((key.position, key.column_name));
    }
    for (table, mut columns) in ordered {
        columns.sort_unstable();
        schema.entry(table).or_default().primary_key =
            columns.into_iter().map(|(_, name)| name).collect();
    }
    schema
}

/// The tables `source` declares with `diesel::table!`.
fn declared(source: &str) -> Schema {
    let mut schema = Schema::new();
    let mut rest = source;
    while let Some(start) = rest.find("table! {") {
        let block = &rest[start + "table! {".len()..];
        // `name (key, ...) { column -> Type, ... }`, then the macro's `}`.
        let open = block.find('(').expect("a primary key after the table name");
        let close = block[open..].find(')').expect("the primary key's end") + open;
        let body_start = block[close..].find('{').expect("the columns") + close + 1;
        let body_end = block[body_start..].find('}').expect("the columns' end") + body_start;
        // The last word before the key: `use` lines may come first.
        let name = block[..open]
            .split_whitespace()
            .last()
            .expect("a table name");
        let name = name.rsplit('.').next().unwrap_or(name).to_owned();
        let primary_key = block[open + 1..close]
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect();
        let mut columns = BTreeMap::new();
        let mut sql_name: Option<String> = None;
        for line in block[body_start..body_end].lines().map(str::trim) {
            if let Some(attr) = line.strip_prefix("#[sql_name = \"") {
                sql_name = attr.split('"').next().map(str::to_owned);
                continue;
            }
            if line.starts_with("//") {
                continue;
            }
            let Some((column, ty)) = line.split_once("->") else {
                continue;
            };
            let column = column.trim().trim_start_matches("r#");
            let name = sql_name.take().unwrap_or_else(|| column.to_owned());
            columns.insert(name, canonical(ty.trim().trim_end_matches(',')));
        }
        let previous = schema.insert(
            name.clone(),
            Table {
                primary_key,
                columns,
            },
        );
        assert!(previous.is_none(), "schema.rs declares {name} twice");
        rest = &block[body_end..];
    }
    schema
}

/// One line per disagreement, from schema.rs's point of view.
fn differences(declared: &Schema, actual: &Schema) -> Vec<String> {
    let mut lines = Vec::new();
    for (name, table) in declared {
        let Some(real) = actual.get(name) else {
            lines.push(format!(
                "table {name}: declared, but no migration creates it"
            ));
            continue;
        };
        if table.primary_key != real.primary_key {
            lines.push(format!(
                "table {name}: primary key declared {:?}, the migrations make {:?}",
                table.primary_key, real.primary_key
            ));
        }
        for (column, ty) in &table.columns {
            match real.columns.get(column) {
                None => lines.push(format!(
                    "{name}.{column}: declared, but not in the database"
                )),
                Some(real_ty) if real_ty != ty => lines.push(format!(
                    "{name}.{column}: declared {ty}, the migrations make {real_ty}"
                )),
                Some(_) => {}
            }
        }
        for (column, real_ty) in &real.columns {
            if !table.columns.contains_key(column) {
                lines.push(format!(
                    "{name}.{column}: {real_ty} in the database, not declared"
                ));
            }
        }
    }
    for name in actual.keys().filter(|t| !declared.contains_key(*t)) {
        lines.push(format!("table {name}: in the database, not declared"));
    }
    lines
}

#[test]
fn schema_rs_declares_exactly_what_the_migrations_create() {
    let db = TestDb::empty();
    let mut conn = PgConnection::establish(&db.url).expect("connect");
    conn.run_pending_migrations(concord_adapters::postgres::MIGRATIONS)
        .expect("migrate a fresh database");

    let actual = introspect(&mut conn);
    let declared = declared(SCHEMA_RS);
    assert!(!declared.is_empty(), "schema.rs declares no table");

    let differences = differences(&declared, &actual);
    assert!(
        differences.is_empty(),
        "crates/adapters/src/postgres/schema.rs disagrees with migrations/ \
         (run `diesel print-schema` against a migrated database, or fix it by hand):\n  {}",
        differences.join("\n  ")
    );
}

#[test]
fn the_parser_reads_keys_nullability_and_renamed_columns() {
    let source = r#"
        diesel::table! {
            use diesel::sql_types::*;

            things (a, b) {
                a -> Int8,
                b -> BigInt,
                #[sql_name = "type"]
                kind -> Nullable<Text>,
                r#ref -> diesel::sql_types::Timestamptz,
            }
        }
    "#;
    let schema = declared(source);
    let things = &schema["things"];
    assert_eq!(things.primary_key, ["a", "b"]);
    assert_eq!(things.columns["a"], "Int8");
    assert_eq!(things.columns["b"], "Int8");
    assert_eq!(things.columns["type"], "Nullable<Text>");
    assert_eq!(things.columns["ref"], "Timestamptz");
    assert_eq!(things.columns.len(), 4);
}
