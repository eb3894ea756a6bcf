//! Bearer-token lookups, batched.
//!
//! Every API request reads its token's row (and the owner's) from the database. Under load
//! many requests wait for that read at the same moment; instead of one database round trip
//! each, a lookup task that owns one connection answers everything that queued up while its
//! previous query ran with one `WHERE token_hash IN (…)` query.
//!
//! This is not a cache. Each request's token is read by a query that starts after the
//! request was queued, so a token whose revocation committed before the request arrived is
//! refused, on every replica. A request that arrives alone is a batch of one: nothing waits
//! for company. See docs/decisions/0005-batched-token-lookup.md.
use super::db::Db;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// How long one lookup (query, and reconnecting first if need be) may take before its
/// connection is given up (and reopened for the next batch) and the waiting requests get 503
/// instead of hanging. A healthy lookup takes milliseconds; a database that answers nothing (a
/// black hole: partition, hung host) holds a request for at most two of these — the batch it
/// queued behind, then its own — which the fault suite checks.
const QUERY_TIMEOUT: Duration = Duration::from_secs(4);
/// The most tokens one query asks for. Batches are padded to a power of two (by repeating a
/// hash), so there are only `log2(MAX_BATCH) + 1` distinct statements to prepare.
const MAX_BATCH: usize = 32;

/// A live (unrevoked) token and whoever owns it. The owner columns are `None` when the owner
/// no longer exists.
#[derive(Clone, Debug)]
pub struct TokenRecord {
    pub token_id: String,
    pub owner_kind: String,
    pub owner_id: String,
    pub last_six: String,
    pub last_used_at: Option<i64>,
    pub expires_at: Option<i64>,
    /// Comma-separated CIDRs the key may be used from; `None`: anywhere.
    pub allowed_cidrs: Option<String>,
    pub owner_email: Option<String>,
    pub owner_role: Option<String>,
    pub owner_org: Option<String>,
}

/// The lookup could not be answered (database unreachable, tasks stopped). The message is
/// for the server log; callers answer with a generic internal error.
#[derive(Clone, Debug, thiserror::Error)]
pub enum LookupError {
    #[error("token lookup failed: {0}")]
    Failed(Arc<str>),
    /// The database cannot be reached right now (down, restarting, not answering within the
    /// query timeout). Answered 503 with `Retry-After`: a valid token is never refused for it.
    #[error("token lookup: database unavailable: {0}")]
    Unavailable(Arc<str>),
    /// The queue is full: the database is not keeping up. Answered 503, never queued.
    #[error("token lookup queue is full ({QUEUE_CAPACITY} waiting)")]
    Overloaded,
}

/// Lookups waiting at most; more are refused at once (503) instead of queueing memory and
/// latency without bound while the database is slow or down.
pub const QUEUE_CAPACITY: usize = 4096;

type Answer = Result<Option<TokenRecord>, LookupError>;

/// Upper bounds of the batch-size histogram's buckets (a batch holds 1 to `MAX_BATCH` tokens).
const BATCH_BUCKETS: [usize; 6] = [1, 2, 4, 8, 16, 32];

/// How many tokens each lookup query carried, since the process started (for `/metrics`).
static BATCHES: [AtomicU64; BATCH_BUCKETS.len()] =
    [const { AtomicU64::new(0) }; BATCH_BUCKETS.len()];
static BATCHED_TOKENS: AtomicU64 = AtomicU64::new(0);

/// A snapshot of the batch sizes: per bucket (upper bound, batches in it), count and sum.
pub struct BatchSizes {
    pub buckets: Vec<(usize, u64)>,
    pub count: u64,
    pub sum: u64,
}

pub fn batch_sizes() -> BatchSizes {
    let buckets: Vec<(usize, u64)> = BATCH_BUCKETS
        .iter()
        .zip(&BATCHES)
        .map(|(&le, n)| (le, n.load(Ordering::Relaxed)))
        .collect();
    BatchSizes {
        count: buckets.iter().map(|(_, n)| n).sum(),
        sum: BATCHED_TOKENS.load(Ordering::Relaxed),
        buckets,
    }
}

fn record_batch(size: usize) {
    if let Some(i) = BATCH_BUCKETS.iter().position(|&le| size <= le) {
        BATCHES[i].fetch_add(1, Ordering::Relaxed);
    }
    BATCHED_TOKENS.fetch_add(size as u64, Ordering::Relaxed);
}

struct Pending {
    hash: String,
    reply: oneshot::Sender<Answer>,
}

/// Handle to the lookup task; cheap to clone. The task ends when the last handle is dropped.
///
/// One task, not several: measured on two cores, a second task halves the batch size (one
/// gathers while the other queries) and costs more in wake-ups than it saves in latency.
#[derive(Clone)]
pub struct TokenLookup {
    queue: mpsc::Sender<Pending>,
}

impl std::fmt::Debug for TokenLookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenLookup").finish_non_exhaustive()
    }
}

impl TokenLookup {
    /// Starts the lookup task on the current Tokio runtime.
    pub fn start(db: Db) -> Self {
        let (queue, receiver) = mpsc::channel(QUEUE_CAPACITY);
        tokio::spawn(serve(db, receiver));
        TokenLookup { queue }
    }

    /// The live token with this SHA-256 hash (lower-case hex), if there is one.
    pub async fn find(&self, hash: String) -> Answer {
        let (reply, answer) = oneshot::channel();
        self.queue
            .try_send(Pending { hash, reply })
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => LookupError::Overloaded,
                mpsc::error::TrySendError::Closed(_) => {
                    LookupError::Failed("the lookup task has stopped".into())
                }
            })?;
        answer
            .await
            .map_err(|_| LookupError::Failed("the lookup task ended before answering".into()))?
    }
}

async fn serve(db: Db, mut queue: mpsc::Receiver<Pending>) {
    let mut conn: Option<AnyConnection> = None;
    let mut batch = Vec::with_capacity(MAX_BATCH);
    // Waits for one request, then takes whatever else is already queued (up to MAX_BATCH).
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        // Requests whose client went away need no answer.
        batch.retain(|p: &Pending| !p.reply.is_closed());
        if batch.is_empty() {
            continue;
        }
        record_batch(batch.len());
        let outcome = match tokio::time::timeout(QUERY_TIMEOUT, query(&db, &mut conn, &batch)).await
        {
            Ok(Ok(found)) => Ok(found),
            Ok(Err(e)) if super::db::is_unavailable(&e) => {
                Err(LookupError::Unavailable(e.to_string().into()))
            }
            Ok(Err(e)) => Err(LookupError::Failed(e.to_string().into())),
            Err(_) => {
                conn = None;
                Err(LookupError::Unavailable(
                    format!("no answer within {QUERY_TIMEOUT:?}").into(),
                ))
            }
        };
        match outcome {
            Ok(found) => {
                for p in batch.drain(..) {
                    let _ = p.reply.send(Ok(found.get(&p.hash).cloned()));
                }
            }
            Err(err) => {
                for p in batch.drain(..) {
                    let _ = p.reply.send(Err(err.clone()));
                }
            }
        }
    }
}

/// One query for every distinct hash in the batch, on this task's connection.
async fn query(
    db: &Db,
    conn: &mut Option<AnyConnection>,
    batch: &[Pending],
) -> Result<HashMap<String, TokenRecord>, sqlx::Error> {
    let mut hashes: Vec<&str> = batch.iter().map(|p| p.hash.as_str()).collect();
    hashes.sort_unstable();
    hashes.dedup();
    let reused = conn.is_some();
    let rows = match fetch(db, conn, &hashes).await {
        Ok(rows) => rows,
        // A connection that worked before may have been closed by the server since (restart,
        // failover, idle timeout): one more try, on a fresh connection.
        Err(err) if reused => {
            tracing::warn!(error = %err, "token lookup connection failed; reconnecting");
            fetch(db, conn, &hashes).await?
        }
        Err(err) => return Err(err),
    };
    let mut found = HashMap::with_capacity(rows.len());
    for row in rows {
        found.insert(
            row.try_get("token_hash")?,
            TokenRecord {
                token_id: row.try_get("id")?,
                owner_kind: row.try_get("owner_kind")?,
                owner_id: row.try_get("owner_id")?,
                last_six: row.try_get("last_six")?,
                last_used_at: row.try_get("last_used_at")?,
                expires_at: row.try_get("expires_at")?,
                allowed_cidrs: row.try_get("allowed_cidrs")?,
                owner_email: row.try_get("owner_email")?,
                owner_role: row.try_get("owner_role")?,
                owner_org: row.try_get("owner_org")?,
            },
        );
    }
    Ok(found)
}

/// Runs the lookup on the task's connection, opening it if there is none. After any failure
/// the connection is dropped, to be reopened: even a "database" error can mean it is finished
/// (PostgreSQL reports a terminated backend as SQLSTATE 57P01), and this query has no input
/// that could make it fail on a healthy connection.
async fn fetch(
    db: &Db,
    conn: &mut Option<AnyConnection>,
    hashes: &[&str],
) -> Result<Vec<AnyRow>, sqlx::Error> {
    let size = hashes.len().next_power_of_two();
    let mut q = sqlx::query(statement(size));
    for i in 0..size {
        q = q.bind(hashes.get(i).copied().unwrap_or(hashes[0]));
    }
    let connection = match conn {
        Some(c) => c,
        None => conn.insert(db.connect_dedicated().await?),
    };
    let result = q.fetch_all(&mut *connection).await;
    if result.is_err() {
        *conn = None;
    }
    result
}

/// The lookup for `size` hashes (`size` a power of two up to `MAX_BATCH`).
fn statement(size: usize) -> &'static str {
    static STATEMENTS: OnceLock<Vec<String>> = OnceLock::new();
    let statements = STATEMENTS.get_or_init(|| {
        std::iter::successors(Some(1usize), |n| (*n < MAX_BATCH).then_some(n * 2))
            .map(|n| {
                let placeholders = (1..=n)
                    .map(|i| format!("${i}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!(
                    "SELECT t.token_hash, t.id, t.owner_kind, t.owner_id, t.last_six, t.last_used_at, \
                       t.expires_at, t.allowed_cidrs, \
                       COALESCE(u.email, sa.email) AS owner_email, \
                       COALESCE(u.role, sa.role) AS owner_role, \
                       COALESCE(u.org_id, sa.org_id) AS owner_org \
                     FROM api_tokens t \
                     LEFT JOIN users u ON t.owner_kind = 'user' AND u.id = t.owner_id \
                     LEFT JOIN service_accounts sa \
                       ON t.owner_kind = 'service_account' AND sa.id = t.owner_id \
                     WHERE t.token_hash IN ({placeholders}) AND t.revoked_at IS NULL"
                )
            })
            .collect()
    });
    &statements[size.trailing_zeros() as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_statement_per_power_of_two() {
        assert!(statement(1).contains("IN ($1)"));
        assert!(statement(2).contains("IN ($1, $2)"));
        assert!(statement(MAX_BATCH).contains(&format!("${MAX_BATCH})")));
        assert!(!statement(MAX_BATCH).contains(&format!("${}", MAX_BATCH + 1)));
    }

    /// A database that stops answering must not let lookups pile up without bound: once the
    /// queue is full, the next lookup is refused at once (the API answers 503).
    #[tokio::test]
    async fn a_full_queue_refuses_at_once_instead_of_waiting() {
        let (queue, _stalled) = mpsc::channel(QUEUE_CAPACITY);
        let lookup = TokenLookup { queue };
        let mut waiting = Vec::new();
        for i in 0..QUEUE_CAPACITY {
            let lookup = lookup.clone();
            waiting.push(tokio::spawn(async move {
                lookup.find(format!("{i:064}")).await
            }));
        }
        // Let every spawned lookup take its place in the queue.
        while lookup.queue.capacity() > 0 {
            tokio::task::yield_now().await;
        }
        let refused = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            lookup.find("f".repeat(64)),
        )
        .await
        .expect("answered at once, not queued");
        assert!(
            matches!(refused, Err(LookupError::Overloaded)),
            "{refused:?}"
        );
        for w in waiting {
            w.abort();
        }
    }
}
