//! One copy of rows (a table, a key range or a slice): a reader streaming into a bounded
//! channel and the target's writer draining it, and the retries that wait out a lost
//! connection.

use tracing::Instrument;

use super::load::Ctx;
use super::*;
use crate::error::{Error, Result};

/// Runs `f(attempt)` until it succeeds, fails for another reason than a lost or refused
/// connection (to either side: decided by the error's cause, [`Error::is_transient`], never by
/// its words), or [`Settings::retries`] retries (after 1, 2, 4, 8... seconds) did not bring
/// the connection back; `f` is told the attempt so a retry can empty what the failed attempt
/// wrote.
pub(super) async fn with_retries<T, F, Fut>(ctx: &Ctx, what: &str, mut f: F) -> Result<T>
where
    F: FnMut(u32) -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let mut attempt = 0u32;
    let mut waited = 0u64;
    loop {
        match f(attempt).await {
            Err(e) if e.is_transient() && attempt < ctx.settings.retries && !ctx.cancelled() => {
                attempt += 1;
                let wait = 1u64 << (attempt - 1).min(6);
                waited += wait;
                tracing::warn!(target: "tugboat::tasks", "{what}: connection lost ({e}); retry {attempt} of {} in {wait} s", ctx.settings.retries);
                (ctx.events)(TaskEvent::Step(format!(
                    "{what}: connection lost; retry {attempt} of {} in {wait} s",
                    ctx.settings.retries
                )));
                tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
            }
            Err(e) if attempt > 0 && e.is_transient() => {
                ctx.lost.store(true, std::sync::atomic::Ordering::Relaxed);
                return Err(Error::InvalidEndpoint {
                    endpoint: what.to_string(),
                    reason: format!(
                        "the connection was lost and {attempt} retries over {waited} s did not bring it back ({e}); run the task again when the database is reachable: it resumes"
                    ),
                });
            }
            r => return r,
        }
    }
}

/// Copies the rows of `p` (the table, or its key range): a reader streaming into a bounded
/// channel, the target's writer draining it. A copy that is one transaction on the target (a
/// PostgreSQL COPY, and a slice whose rows commit with its record) commits only once the
/// reader has read every row: stopped or failed, nothing of it is kept (a table stopped in the
/// middle is empty there, not half loaded).
pub(super) async fn copy(
    ctx: &Ctx,
    p: &Prepared,
    progress: impl FnMut(u64, u64),
) -> Result<sink::Written> {
    let s = &ctx.settings;
    // (Taken with a permit held, never while waiting for one: see `Ctx::file`.)
    let _writing = ctx.file.read().await;
    let (tx, rx) = tokio::sync::mpsc::channel::<crate::engines::rows::Batch>(4);
    let gated = p.slice_record.is_some() || super::slices::committed_with_rows(ctx);
    // Said once the reader has read every row (never when stopped: it ends early then).
    let (whole, read_whole) = tokio::sync::oneshot::channel::<()>();
    let reader = {
        let source = ctx.source.clone();
        let p = p.clone();
        let batch = s.batch_rows.max(1);
        let cancel = ctx.cancel.clone();
        tokio::spawn(
            async move {
                let r = source::read(&source, &p, batch, tx, cancel.clone()).await;
                if r.is_ok() && !cancel.load(std::sync::atomic::Ordering::Relaxed) {
                    whole.send(()).ok();
                }
                r
            }
            .in_current_span(),
        )
    };
    let written = sink::write(
        (&ctx.target, &ctx.task),
        p,
        (rx, gated.then_some(read_whole)),
        s.zero_dates,
        s.error_policy,
        progress,
    )
    .await;
    let read = reader.await.map_err(|e| Error::InvalidEndpoint {
        endpoint: ctx.source.endpoint.label(),
        reason: format!("the reader stopped: {e}"),
    })?;
    let w = written?;
    read?;
    if w.stopped && !ctx.cancelled() {
        return Err(Error::InvalidEndpoint {
            endpoint: ctx.source.endpoint.label(),
            reason: format!(
                "{}: the source's rows were not all read; nothing of them was kept",
                p.label
            ),
        });
    }
    Ok(w)
}
