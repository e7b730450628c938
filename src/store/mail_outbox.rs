//! The transactional outbox: rows are inserted in the caller's transaction and
//! claimed by delivery workers on any node.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, ExprTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Set,
};
use time::OffsetDateTime;
use uuid::Uuid;

use super::StoreError;
use super::entities::mail_outbox as outbox;

pub use outbox::Model as MailRow;

/// A rendered mail to queue.
pub struct NewMail<'a> {
    /// Message kind (`activation`, `login_number`, …).
    pub kind: &'a str,
    /// The account it concerns.
    pub user_id: Option<Uuid>,
    /// Recipient address.
    pub recipient: &'a str,
    /// Subject line.
    pub subject: &'a str,
    /// Plain-text part.
    pub body_text: &'a str,
    /// HTML part.
    pub body_html: &'a str,
}

/// Queues a mail, due now.
pub async fn insert(conn: &impl ConnectionTrait, mail: NewMail<'_>, now: OffsetDateTime) -> Result<Uuid, StoreError> {
    insert_due(conn, mail, now, now).await
}

/// Queues a mail that is not to be sent before `due` (a paced campaign).
pub async fn insert_due(
    conn: &impl ConnectionTrait,
    mail: NewMail<'_>,
    now: OffsetDateTime,
    due: OffsetDateTime,
) -> Result<Uuid, StoreError> {
    let id = Uuid::now_v7();
    outbox::ActiveModel {
        id: Set(id),
        kind: Set(mail.kind.to_string()),
        user_id: Set(mail.user_id),
        recipient: Set(mail.recipient.to_string()),
        subject: Set(mail.subject.to_string()),
        body_text: Set(mail.body_text.to_string()),
        body_html: Set(mail.body_html.to_string()),
        created_at: Set(now),
        attempts: Set(0),
        next_attempt_at: Set(due),
        claimed_until: Set(None),
        sent_at: Set(None),
        failed_at: Set(None),
        last_error: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(id)
}

/// Claims up to `limit` due mails for `lease`: a crashed worker's claim expires
/// and another worker takes the mail over. One statement: the `UPDATE` picks the
/// due rows and claims them, and its own condition (checked again against each
/// row it writes) lets only one of two racing workers win a mail.
pub async fn claim_due(
    conn: &impl ConnectionTrait,
    now: OffsetDateTime,
    limit: u64,
    lease: time::Duration,
) -> Result<Vec<MailRow>, StoreError> {
    let claimable = || {
        Condition::all()
            .add(outbox::Column::SentAt.is_null())
            .add(outbox::Column::FailedAt.is_null())
            .add(outbox::Column::NextAttemptAt.lte(now))
            .add(outbox::Column::ClaimedUntil.is_null().or(outbox::Column::ClaimedUntil.lt(now)))
    };
    let due = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Id)
        .filter(claimable())
        .order_by_asc(outbox::Column::NextAttemptAt)
        .limit(limit)
        .into_query();
    let mut claimed = outbox::Entity::update_many()
        .col_expr(outbox::Column::ClaimedUntil, Expr::value(now + lease))
        .filter(outbox::Column::Id.in_subquery(due))
        .filter(claimable())
        .exec_with_returning(conn)
        .await?;
    // RETURNING keeps no order: oldest first, as they came due.
    claimed.sort_by_key(|row| row.next_attempt_at);
    Ok(claimed)
}

/// Marks a mail sent. `keep_body` is false for real SMTP delivery: a sent mail's
/// links and codes are then erased, so no secret stays readable at rest.
pub async fn mark_sent(
    conn: &impl ConnectionTrait,
    id: Uuid,
    now: OffsetDateTime,
    keep_body: bool,
) -> Result<bool, StoreError> {
    let mut update = outbox::Entity::update_many()
        .col_expr(outbox::Column::SentAt, Expr::value(now))
        .col_expr(outbox::Column::ClaimedUntil, Expr::value(Option::<OffsetDateTime>::None));
    if !keep_body {
        update = update
            .col_expr(outbox::Column::BodyText, Expr::value(""))
            .col_expr(outbox::Column::BodyHtml, Expr::value(""));
    }
    let result = update.filter(outbox::Column::Id.eq(id)).filter(outbox::Column::SentAt.is_null()).exec(conn).await?;
    Ok(result.rows_affected == 1)
}

/// Records a failed attempt: retried at `retry_at`, or given up when `None`.
pub async fn attempt_failed(
    conn: &impl ConnectionTrait,
    row: &MailRow,
    error: &str,
    retry_at: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let mut update = outbox::Entity::update_many()
        .col_expr(outbox::Column::Attempts, Expr::value(row.attempts + 1))
        .col_expr(outbox::Column::ClaimedUntil, Expr::value(Option::<OffsetDateTime>::None))
        .col_expr(outbox::Column::LastError, Expr::value(error.chars().take(500).collect::<String>()));
    update = match retry_at {
        Some(at) => update.col_expr(outbox::Column::NextAttemptAt, Expr::value(at)),
        None => update.col_expr(outbox::Column::FailedAt, Expr::value(now)),
    };
    update.filter(outbox::Column::Id.eq(row.id)).exec(conn).await?;
    Ok(())
}

/// The newest mails (the development mailbox page).
pub async fn recent(conn: &impl ConnectionTrait, limit: u64) -> Result<Vec<MailRow>, StoreError> {
    Ok(outbox::Entity::find().order_by_desc(outbox::Column::CreatedAt).limit(limit).all(conn).await?)
}

/// One mail by id.
pub async fn find(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<MailRow>, StoreError> {
    Ok(outbox::Entity::find_by_id(id).one(conn).await?)
}

/// Gives up the unsent mails of an account and erases their bodies (its personal
/// data is being deleted; a link in a mail still queued must never go out).
pub async fn erase_unsent_for(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    outbox::Entity::update_many()
        .col_expr(outbox::Column::FailedAt, Expr::value(now))
        .col_expr(outbox::Column::LastError, Expr::value("account deleted"))
        .col_expr(outbox::Column::BodyText, Expr::value(""))
        .col_expr(outbox::Column::BodyHtml, Expr::value(""))
        .col_expr(outbox::Column::Recipient, Expr::value(""))
        .filter(outbox::Column::UserId.eq(user_id))
        .filter(outbox::Column::SentAt.is_null())
        .filter(outbox::Column::FailedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// When the last queued, unsent mail of `kind` is due (where a paced campaign continues).
pub async fn last_due(conn: &impl ConnectionTrait, kind: &str) -> Result<Option<OffsetDateTime>, StoreError> {
    Ok(outbox::Entity::find()
        .filter(outbox::Column::Kind.eq(kind))
        .filter(outbox::Column::SentAt.is_null())
        .filter(outbox::Column::FailedAt.is_null())
        .order_by_desc(outbox::Column::NextAttemptAt)
        .one(conn)
        .await?
        .map(|row| row.next_attempt_at))
}

/// Mails not delivered yet, across all nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backlog {
    /// Waiting for (another) attempt.
    pub pending: u64,
    /// Given up.
    pub failed: u64,
}

/// Counts the backlog; both counts use the `(sent_at, next_attempt_at)` index.
pub async fn backlog(conn: &impl ConnectionTrait) -> Result<Backlog, StoreError> {
    let unsent = || outbox::Entity::find().filter(outbox::Column::SentAt.is_null());
    let pending = unsent().filter(outbox::Column::FailedAt.is_null()).count(conn).await?;
    let failed = unsent().filter(outbox::Column::FailedAt.is_not_null()).count(conn).await?;
    Ok(Backlog { pending, failed })
}

/// The mails queued for an account, newest first: kind and times only (the
/// admin console shows that a mail went out, never its link or code).
pub async fn kinds_for_user(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    limit: u64,
) -> Result<Vec<(String, OffsetDateTime, Option<OffsetDateTime>)>, StoreError> {
    let rows: Vec<(String, OffsetDateTime, Option<OffsetDateTime>)> = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Kind)
        .column(outbox::Column::CreatedAt)
        .column(outbox::Column::SentAt)
        .filter(outbox::Column::UserId.eq(user_id))
        .order_by_desc(outbox::Column::CreatedAt)
        .limit(limit)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows)
}

/// How the mails of `kind` stand, across all nodes: waiting to be sent, sent,
/// and given up (the console's campaign progress).
pub async fn progress(conn: &impl ConnectionTrait, kind: &str) -> Result<(u64, u64, u64), StoreError> {
    let of_kind = || outbox::Entity::find().filter(outbox::Column::Kind.eq(kind));
    let sent = of_kind().filter(outbox::Column::SentAt.is_not_null()).count(conn).await?;
    let unsent = || of_kind().filter(outbox::Column::SentAt.is_null());
    let queued = unsent().filter(outbox::Column::FailedAt.is_null()).count(conn).await?;
    let failed = unsent().filter(outbox::Column::FailedAt.is_not_null()).count(conn).await?;
    Ok((queued, sent, failed))
}
