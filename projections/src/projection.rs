//! What a projection is: a name, a version, its tables, and how a batch of events
//! changes them. `apply` must tolerate seeing an event it already applied (rebuilds
//! and crash recovery replay), which `INSERT … ON CONFLICT` and absolute updates give.

use altegon_commands::store::RecordedEvent;
use altegon_domain::DomainEvent;
use async_trait::async_trait;
use sqlx::AnyConnection;

use crate::ProjectionError;

/// A read-model table: its base name and the statements that create it, with
/// `{table}` standing for the table's actual name and `{ix}` for a fresh, unique
/// index-name suffix (so a rebuilt copy can be created beside the live table).
#[derive(Debug, Clone, Copy)]
pub struct TableDef {
    /// The live table's name.
    pub name: &'static str,
    /// `CREATE TABLE` / `CREATE INDEX` statements in the SQL both dialects accept.
    pub create: &'static [&'static str],
}

/// Which copy of the tables an `apply` writes: the live tables or a rebuild.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    suffix: &'static str,
}

impl Target {
    /// The tables queries read.
    pub const LIVE: Target = Target { suffix: "" };
    /// The copy a rebuild fills before it is swapped in.
    pub const REBUILD: Target = Target {
        suffix: "__rebuild",
    };
    /// The scratch copy `projections verify` compares with the live tables.
    pub const VERIFY: Target = Target { suffix: "__verify" };

    /// The actual name of table `base` in this copy.
    pub fn table(&self, base: &str) -> String {
        format!("{base}{}", self.suffix)
    }
}

/// One event of a batch, decoded, with its stored envelope.
#[derive(Debug, Clone)]
pub struct Applied<'a> {
    /// The domain event.
    pub event: DomainEvent,
    /// Where and when it was stored.
    pub recorded: &'a RecordedEvent,
}

/// A read model kept from the log.
#[async_trait]
pub trait Projection: Send + Sync + 'static {
    /// Stable name; the checkpoint is stored under it.
    fn name(&self) -> &'static str;

    /// Bumped when the tables' shape or meaning changes: a stored version that
    /// differs makes the runner rebuild the projection.
    fn version(&self) -> u32;

    /// The tables it owns.
    fn tables(&self) -> &'static [TableDef];

    /// Applies a batch of events, in log order, inside the batch's transaction.
    /// Projections fold a batch in memory and write each touched row once, so a
    /// rebuild costs a few statements per batch rather than per event.
    async fn apply(
        &self,
        conn: &mut AnyConnection,
        target: Target,
        batch: &[Applied<'_>],
    ) -> Result<(), ProjectionError>;
}
