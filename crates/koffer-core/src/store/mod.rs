//! The local SQLite cache: one file per server profile.
//!
//! Every connection is opened by [`Store::open`] (WAL, `synchronous=NORMAL`, foreign keys,
//! busy timeout); every write goes through [`Store::with_tx`] in an IMMEDIATE transaction.
//! Each table's SQL lives in the module named after it.

mod migrations;

pub use migrations::SCHEMA_VERSION;

pub mod catalog;
pub mod devices;
pub mod lessons;
pub mod licences;
pub mod organisations;
pub mod outbox;
pub mod policies;
pub mod sync_status;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use crate::error::{Error, Result};

/// File name of the cache inside a profile's data folder.
pub const CACHE_FILE: &str = "cache.sqlite3";

#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the cache in `data_dir` and brings its schema up to date.
    pub fn open_in(data_dir: &Path) -> Result<Store> {
        ensure_writable_dir(data_dir)?;
        Store::open(&data_dir.join(CACHE_FILE))
    }

    /// Opens the cache file at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn =
            Connection::open_with_flags(path, flags).map_err(|e| store_error(path, e))?;
        configure(&conn).map_err(|e| store_error(path, e))?;
        migrations::run(&mut conn, path)?;
        Ok(Store {
            conn,
            path: path.to_owned(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `work` in one IMMEDIATE transaction: all of it lands, or none of it.
    pub fn with_tx<T>(&mut self, work: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = work(&tx)?;
        tx.commit()?;
        Ok(value)
    }

    /// Read access for queries.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Larger checkpoints: the first sync writes big batches, and small checkpoints would write
    // the same index pages many times over.
    conn.pragma_update(None, "wal_autocheckpoint", 10_000)?;
    conn.pragma_update(None, "cache_size", -64_000)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    Ok(())
}

fn ensure_writable_dir(dir: &Path) -> Result<()> {
    let not_writable = |e: std::io::Error| Error::DataDirNotWritable {
        path: dir.to_owned(),
        reason: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(not_writable)?;
    let probe = dir.join(".koffer-write-check");
    std::fs::write(&probe, b"").map_err(not_writable)?;
    std::fs::remove_file(&probe).map_err(not_writable)
}

fn store_error(path: &Path, error: rusqlite::Error) -> Error {
    Error::Store {
        path: path.to_owned(),
        reason: error.to_string(),
    }
}
