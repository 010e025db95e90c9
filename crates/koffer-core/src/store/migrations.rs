//! Embedded, numbered schema migrations.
//!
//! A migration is never edited once it has landed: a change is a new migration appended to
//! [`MIGRATIONS`]. All pending migrations run in one transaction, and `user_version` records
//! how far a cache has come, so an older build refuses a cache written by a newer one.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use crate::error::{Error, Result};

const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_inventory.sql"),
    include_str!("migrations/0002_actions.sql"),
    include_str!("migrations/0003_lessons.sql"),
    include_str!("migrations/0004_compliance.sql"),
    include_str!("migrations/0005_policy_versions.sql"),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

pub fn run(conn: &mut Connection, path: &Path) -> Result<()> {
    apply(conn, path, MIGRATIONS)
}

fn apply(conn: &mut Connection, path: &Path, migrations: &[&str]) -> Result<()> {
    let known = migrations.len() as i64;
    let found: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if found > known {
        return Err(Error::NewerDatabase {
            path: path.to_owned(),
            found,
            known,
        });
    }
    if found == known {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    for sql in &migrations[found as usize..] {
        tx.execute_batch(sql)?;
    }
    tx.pragma_update(None, "user_version", known)?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(conn: &Connection) -> i64 {
        conn.pragma_query_value(None, "user_version", |row| row.get(0))
            .unwrap()
    }

    #[test]
    fn a_fresh_cache_gets_every_migration() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.sqlite3");
        let mut conn = Connection::open(&path).unwrap();

        run(&mut conn, &path).unwrap();

        assert_eq!(
            version(&conn),
            SCHEMA_VERSION,
            "user_version gates later opens"
        );
    }

    #[test]
    fn only_pending_migrations_run_on_an_older_cache() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.sqlite3");
        let mut conn = Connection::open(&path).unwrap();
        apply(&mut conn, &path, &["CREATE TABLE a (x);"]).unwrap();

        apply(
            &mut conn,
            &path,
            &["CREATE TABLE a (x);", "CREATE TABLE b (y);"],
        )
        .unwrap();

        assert_eq!(version(&conn), 2, "the first migration must not run twice");
    }

    #[test]
    fn a_failing_migration_leaves_the_cache_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.sqlite3");
        let mut conn = Connection::open(&path).unwrap();
        apply(&mut conn, &path, &["CREATE TABLE a (x);"]).unwrap();

        let failed = apply(
            &mut conn,
            &path,
            &["CREATE TABLE a (x);", "CREATE TABLE b (y); nope"],
        );

        assert!(failed.is_err());
        assert_eq!(
            version(&conn),
            1,
            "a half-applied schema would be worse than an old one"
        );
        let b_exists: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'b'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(
            b_exists, 0,
            "the failed migration's first statement must be rolled back"
        );
    }

    #[test]
    fn a_cache_from_a_newer_build_is_refused_with_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.sqlite3");
        let mut conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();

        let error = run(&mut conn, &path).unwrap_err();

        assert!(matches!(error, Error::NewerDatabase { .. }), "{error}");
        assert!(error.to_string().contains("newer version"), "{error}");
    }
}
