//! Import files uploaded in the admin console, kept between the dry run and the
//! apply (on any node), bound to the console session that uploaded them.

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use time::OffsetDateTime;
use uuid::Uuid;

use super::StoreError;
use super::entities::console_uploads as rows;

pub use rows::Model as UploadRow;

/// An upload to keep.
#[derive(Debug)]
pub struct NewUpload<'a> {
    /// The staff member who uploaded it.
    pub user_id: Uuid,
    /// Their console session.
    pub console_session_id: Uuid,
    /// The file's name as the browser gave it (shown only).
    pub file_name: &'a str,
    /// `csv` or `json`.
    pub format: &'a str,
    /// The file.
    pub content: &'a [u8],
    /// The dry run's report (JSON).
    pub dry_run_report: &'a str,
    /// When it is forgotten.
    pub expires_at: OffsetDateTime,
}

/// Keeps an upload under a new random id (the id names it in the console's addresses).
pub async fn insert(
    conn: &impl ConnectionTrait,
    upload: NewUpload<'_>,
    now: OffsetDateTime,
) -> Result<Uuid, StoreError> {
    // Random (v4), not time-ordered: the id must not be guessable from another's.
    let id = Uuid::new_v4();
    rows::ActiveModel {
        id: Set(id),
        user_id: Set(upload.user_id),
        console_session_id: Set(upload.console_session_id),
        file_name: Set(upload.file_name.to_string()),
        format: Set(upload.format.to_string()),
        size_bytes: Set(i64::try_from(upload.content.len()).unwrap_or(i64::MAX)),
        content: Set(upload.content.to_vec()),
        dry_run_report: Set(upload.dry_run_report.to_string()),
        applied_report: Set(None),
        applied_at: Set(None),
        created_at: Set(now),
        expires_at: Set(upload.expires_at),
    }
    .insert(conn)
    .await?;
    Ok(id)
}

/// An upload without its file (which may be tens of megabytes): what a report page needs.
pub async fn find_without_content(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<UploadRow>, StoreError> {
    let columns = [
        rows::Column::Id,
        rows::Column::UserId,
        rows::Column::ConsoleSessionId,
        rows::Column::FileName,
        rows::Column::Format,
        rows::Column::SizeBytes,
        rows::Column::DryRunReport,
        rows::Column::AppliedReport,
        rows::Column::AppliedAt,
        rows::Column::CreatedAt,
        rows::Column::ExpiresAt,
    ];
    Ok(rows::Entity::find_by_id(id)
        .select_only()
        .columns(columns)
        // An empty file in place of the stored one, so the row still reads as a model.
        .column_as(Expr::val(Vec::<u8>::new()), rows::Column::Content)
        .into_model::<UploadRow>()
        .one(conn)
        .await?)
}

/// The whole upload, file included.
pub async fn find(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<UploadRow>, StoreError> {
    Ok(rows::Entity::find_by_id(id).one(conn).await?)
}

/// Marks the unexpired, not yet applied upload as being applied; `false` when
/// another request got there first (a double click, two tabs) or it expired.
pub async fn claim(conn: &impl ConnectionTrait, id: Uuid, now: OffsetDateTime) -> Result<bool, StoreError> {
    let result = rows::Entity::update_many()
        .col_expr(rows::Column::AppliedAt, Expr::value(now))
        .filter(rows::Column::Id.eq(id))
        .filter(rows::Column::AppliedAt.is_null())
        .filter(rows::Column::ExpiresAt.gt(now))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Gives a claim back (the apply failed): the upload may be applied again.
pub async fn release(conn: &impl ConnectionTrait, id: Uuid) -> Result<(), StoreError> {
    rows::Entity::update_many()
        .col_expr(rows::Column::AppliedAt, Expr::value(Option::<OffsetDateTime>::None))
        .filter(rows::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Records the applied report and lets the file go: it is no longer needed.
pub async fn applied(conn: &impl ConnectionTrait, id: Uuid, report: &str) -> Result<(), StoreError> {
    rows::Entity::update_many()
        .col_expr(rows::Column::AppliedReport, Expr::value(report))
        .col_expr(rows::Column::Content, Expr::value(Vec::<u8>::new()))
        .filter(rows::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Empties the files of expired uploads, and deletes uploads expired before
/// `forget_before` (kept until then so that their page can say "expired").
pub async fn expire(
    conn: &impl ConnectionTrait,
    now: OffsetDateTime,
    forget_before: OffsetDateTime,
) -> Result<(), StoreError> {
    rows::Entity::delete_many().filter(rows::Column::ExpiresAt.lte(forget_before)).exec(conn).await?;
    rows::Entity::update_many()
        .col_expr(rows::Column::Content, Expr::value(Vec::<u8>::new()))
        .filter(rows::Column::ExpiresAt.lte(now))
        .filter(rows::Column::SizeBytes.gt(0))
        .exec(conn)
        .await?;
    Ok(())
}
